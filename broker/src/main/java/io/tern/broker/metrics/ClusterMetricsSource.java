/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

/**
 * A cluster node's state and counters for {@code /metrics} and {@code /clusterz}, when the broker runs as one node of a
 * cluster. Read by the metrics thread and the admin threads; each value is a snapshot written by one thread (the broker
 * thread or the cluster agent), or read from Aeron's own counters.
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

    /** @return claim to answer, for every answered claim. */
    ClaimLatency claimLatency();

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

    /** @return how many nodes the cluster has (ids 0 to this minus one). */
    int nodeCount();

    /** @return this node's directory member's role: -1 unknown, 0 follower, 1 candidate, 2 leader (Aeron's codes). */
    int memberRole();

    /** @return whether the publication to {@code node} is connected. */
    boolean linkConnected(int node);

    /** @return whether the stream from {@code node} has an image here. */
    boolean linkImagePresent(int node);

    /** @return frames (messages) sent to {@code node}. */
    long framesSent(int node);

    long bytesSent(int node);

    /** @return frames received from {@code node}. */
    long framesReceived(int node);

    long bytesReceived(int node);

    /** @return messages for {@code node} answered with {@code no peer} (link gone, or back-pressured too long). */
    long sendsFailed(int node);

    /** @return times the link to {@code node} was back-pressured. */
    long backPressureEvents(int node);

    /** @return names held on {@code node} as this node's replica says (for this node: its granted peers). */
    long names(int node);

    /** @return where {@code /clusterz} asks the broker thread for the names held. */
    NameSnapshotRequests nameSnapshots();
}
