/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
/**
 * The broker: inbound events on an LMAX Disruptor ring, the single routing handler that owns every peer, and the
 * runnable server.
 * <pre>
 *   thread      owns
 *   reader-N    fills InboundEvents between claim and publish (DisruptorInboundSink)
 *   broker      the Router: the name-to-peer map, every Peer, the producer side of every outbound ring
 *   shared      in the shared threading mode, reader-0, the Router (polled: PolledRouter) and writer-0 in turn
 *   cluster     with cluster-members set: the cluster module's agent, publishing what comes from the directory
 *               and the other nodes into the ring (ClusterInboundSink); the Router reaches it through ClusterLink
 *   main        BrokerMain: start-up, signals, orderly shutdown (Broker.close); the settings: each declared once in
 *               Settings, their values in a BrokerConfig, read and validated at start-up only
 * </pre>
 * {@link io.tern.broker.BrokerThreads} is the one place that resolves the threading mode and decides which thread
 * runs which agent.
 */
package io.tern.broker;
