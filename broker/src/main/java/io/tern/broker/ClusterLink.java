/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.IdleStrategy;

/**
 * The Router's side of the cluster. Every method but {@link #agent()}, {@link #idleStrategy()} and {@link #close()}
 * is called on the broker thread only (the Router's), never blocks for long and never allocates.
 */
public interface ClusterLink extends AutoCloseable
{
    /** {@link #send} result: the frame is on its way. */
    int SENT = 0;
    /** {@link #send} result: the node is not connected, or stayed back-pressured beyond the link timeout. */
    int NO_ROUTE = 1;

    /** {@link #memberRole()}: not known (the directory's member has not said yet). */
    int ROLE_UNKNOWN = -1;
    /** {@link #memberRole()}: Aeron Cluster's role codes. */
    int ROLE_FOLLOWER = 0;
    int ROLE_CANDIDATE = 1;
    int ROLE_LEADER = 2;

    /** @return this node's id. */
    int nodeId();

    /**
     * Asks the directory for a name; the answer comes back as a {@link ClusterEvents#onClaimResult}.
     *
     * @return false if the queue to the cluster agent is full: the claim was not made.
     */
    boolean claim(long correlationId, DirectBuffer name, int offset, int length);

    /**
     * Gives a name back to the directory (also one whose claim is not answered yet: the directory sees the two in
     * order).
     *
     * @return false if the queue to the cluster agent is full (the name is then released with this node's session).
     */
    boolean release(DirectBuffer name, int offset, int length);

    /**
     * Sends a frame laid out as {@link NodeMessageDescriptor} says to another node, waiting on back-pressure up to
     * the link timeout (the broker thread stops meanwhile, so the readers stop reading: back-pressure).
     *
     * @return {@link #SENT} or {@link #NO_ROUTE}.
     */
    int send(int node, DirectBuffer frame, int offset, int length);

    /**
     * Ends a batch of events: frames sent since the last call go out now (the link may hold them back until this,
     * e.g. to wake the thread that sends them once per batch rather than once per frame).
     */
    void flush();

    /** @return the directory's leader as this node last heard, or -1. Any thread. */
    int leaderMemberId();

    /** @return times a link to another node was back-pressured. Any thread; a snapshot. */
    long backPressureEvents();

    /** @return how many nodes the cluster has (ids 0 to this minus one). Any thread. */
    int nodeCount();

    /** @return this node's directory member's role now: one of {@code ROLE_}. Any thread; a snapshot. */
    int memberRole();

    /** @return whether the publication to {@code node} is connected (its subscription is there). Any thread. */
    boolean linkConnected(int node);

    /** @return whether the stream from {@code node} has an image here (it is sending to this node). Any thread. */
    boolean linkImagePresent(int node);

    /** @return times the link to {@code node} was back-pressured. Any thread; a snapshot. */
    long backPressureEvents(int node);

    /**
     * Reads what the other nodes sent, into the link events given at start ({@link ClusterProvider#start}), when the
     * broker's thread reads the links; the provider then wakes that thread when frames arrive.
     *
     * @return frames handed over.
     */
    int pollLinks();

    /**
     * @return whether the last {@link #pollLinks()} left work behind: frames unread (the ring was full, or it read its
     * limit), or work of whatever reads the links' sockets that the next poll goes on with.
     */
    boolean linksBacklogged();

    /**
     * @return the longest the broker's thread may wait between two {@link #pollLinks()}, in milliseconds, when it
     * reads the links: for the timers of what reads their sockets, which no socket announces.
     */
    long maxPollIntervalMs();

    /**
     * @return the agent that polls the directory (and the other nodes, unless the broker's thread does); run by the
     *         broker on its own thread.
     */
    Agent agent();

    /** @return how that agent waits when idle. */
    IdleStrategy idleStrategy();

    /** Stops this node's part of the cluster; after the agent's runner is closed. Any thread; idempotent. */
    @Override
    void close();
}
