/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.nio.channels.SelectableChannel;
import java.util.function.BiConsumer;

/**
 * What a cluster implementation gives the broker, found with {@link java.util.ServiceLoader} when
 * {@code cluster-members} is set; the {@code tern-cluster} module provides one. The broker does not depend on it.
 * Called once, on the thread that launches the broker.
 */
public interface ClusterProvider
{
    /**
     * Starts this node's part of the cluster (its directory member, its links to the other nodes), without starting
     * the agent that polls them: the broker runs {@link ClusterLink#agent()} on a thread of its own.
     *
     * @param config         concluded settings, {@code cluster-*} among them.
     * @param events         where the agent hands what comes from the cluster, into the broker's ring.
     * @param linkEvents     where the other nodes' frames go when the broker's own thread reads the links with
     *                       {@link ClusterLink#pollLinks()} (the shared threading); null to have the agent read them
     *                       into {@code events}.
     * @param watchLinkSocket with {@code linkEvents}: has a socket the links read end the broker's thread's wait when
     *                        it is readable, and run the given callback on that thread then (that thread reads the
     *                        links, and whatever reads their sockets, in {@link ClusterLink#pollLinks()}); called on
     *                        the calling thread or in {@code pollLinks()}.
     * @return the link the Router uses.
     */
    ClusterLink start(
        BrokerConfig config,
        ClusterEvents events,
        ClusterEvents linkEvents,
        BiConsumer<SelectableChannel, Runnable> watchLinkSocket);
}
