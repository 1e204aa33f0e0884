/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

/**
 * A cluster node's state and counters for {@code /metrics}, when the broker runs as one node of a cluster. Read by the
 * metrics thread; each value is a snapshot written by one thread (the broker thread or the cluster agent).
 */
public interface ClusterMetricsSource
{
    /** @return this node's id. */
    long nodeId();

    /** @return 1 while joined to the directory, else 0. */
    long connected();

    /** @return the directory's leader as this node last heard, or -1. */
    long leaderMemberId();

    /** @return names held on other nodes that this node knows of. */
    long remoteNames();

    /** @return claims asked of the directory since start. */
    long claims();

    long claimsGranted();

    long claimsTaken();

    /** @return names refused because the directory could not be reached. */
    long claimsUnavailable();

    /** @return nanoseconds from claim to answer, summed over every answered claim. */
    long claimNanosTotal();

    /** @return frames (messages) sent to other nodes. */
    long framesSent();

    long bytesSent();

    /** @return frames received from other nodes. */
    long framesReceived();

    /** @return messages to another node answered with {@code no peer} (link gone, or back-pressured too long). */
    long sendsFailed();

    /** @return times a link to another node was back-pressured. */
    long backPressureEvents();

    /** @return peers dropped because this node lost the directory. */
    long peersDroppedOnLoss();
}
