/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
/**
 * Observability: per-stage latency histograms, counters, the admin HTTP endpoint ({@code /metrics} in the
 * Prometheus text format, {@code /histograms}, {@code /health}, {@code /connz}, a cluster node's {@code /clusterz},
 * the dashboard and its {@code /api/timeseries}), the periodic stats line and interval logs.
 * <pre>
 *   thread      owns / writes
 *   reader-N    its bytes-in counter; the read stamp of each line (transport)
 *   broker      RouterMetrics: messages in and delivered, errors by kind, slow consumers, peers registered,
 *               the read-to-route recorder; fills the PeerSnapshots that /connz hands it (PeerSnapshotRequests)
 *               and, in a cluster, the NameSnapshots of /clusterz (NameSnapshotRequests); records ClaimLatency
 *   writer-M    its bytes-out counter; its route-to-write and read-to-write recorders (transport)
 *   acceptor    connections accepted and refused (transport)
 *   metrics     every StageHistogram, the TimeSeries, the admin endpoint's bodies, the stats line, the interval
 *               logs; reads every counter and takes interval histograms from every recorder (the recorders' reader
 *               side)
 *   admin-N     Jetty's pool (at most 4; one is its selector): the admin endpoint's socket and connections;
 *               reads requests, answers /health, the dashboard page and refusals, hands the rest to the
 *               metrics thread (or, for /connz and /clusterz, a snapshot request to the broker thread) and writes
 *               what comes back; never blocks on a client or on either thread; reads the cluster's link counters
 *               and role (ClusterMetricsSource) and the claim latency for /clusterz
 *   admin-scheduler  each admin connection's deadline (AdminServer's, on Jetty's scheduler)
 * </pre>
 * Every counter is an Agrona {@code AtomicCounter} in the broker's one {@code CountersManager}. Each counter and
 * recorder has one writing thread (the error counters excepted: atomic increments), and the recording side is
 * wait-free and garbage-free.
 * <p>
 * Dependencies: this package uses the transport's read side ({@code io.tern.transport}) and never the broker's
 * package; the broker hands it plain values ({@link io.tern.broker.metrics.MetricsSettings}), its
 * {@link io.tern.broker.metrics.RouterMetrics} and the ring, so the packages form no cycle.
 */
package io.tern.broker.metrics;
