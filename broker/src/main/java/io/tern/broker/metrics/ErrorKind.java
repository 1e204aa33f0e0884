/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import io.tern.transport.Protocol;

/**
 * The kinds of {@code error: ...} line the broker thread sends, each counted in {@link RouterMetrics} and exposed as
 * {@code tern_errors_sent_total{kind="..."}}. The lines themselves are defined by {@link Protocol}. Lines the
 * transport writes itself are not kinds here: {@link Protocol#SLOW_CONSUMER} is counted as a slow-consumer
 * disconnect, and the acceptor's and authenticator's refusals by the transport's own counters.
 */
public enum ErrorKind
{
    /** {@link Protocol#INVALID_NAME_PREFIX} and a {@link Protocol.NameError} reason; the connection is closed. */
    INVALID_NAME("invalid_name"),
    /** {@link Protocol#NAME_TAKEN_PREFIX}; the newcomer is closed. */
    NAME_TAKEN("name_taken"),
    /** {@link Protocol#NO_PEER_PREFIX}, one per destination that is not connected. */
    NO_PEER("no_peer"),
    /** {@link Protocol#BAD_LINE}. */
    BAD_LINE("bad_line"),
    /** {@link Protocol#tooManyDestinations(int)}; the line is not delivered, the connection stays. */
    TOO_MANY_DESTINATIONS("too_many_destinations"),
    /** {@link Protocol#lineTooLong(int)}; the connection is closed. */
    LINE_TOO_LONG("line_too_long"),
    /** {@link Protocol#nameTimeout(long)} sent by the broker thread; the connection is closed. */
    NAME_TIMEOUT("name_timeout"),
    /** {@link Protocol#partialLineTimeout(long)}; the connection is closed. */
    PARTIAL_LINE_TIMEOUT("partial_line_timeout"),
    /** {@link Protocol#idleTimeout(long)}; the connection is closed. */
    IDLE_TIMEOUT("idle_timeout"),
    /** {@link Protocol#CONTROL_IN_LINE}; the line is not delivered, the connection stays. */
    CONTROL_IN_LINE("control_in_line"),
    /** In a cluster: the node cannot reach the name directory, so it admits no name and drops its peers. */
    CLUSTER_UNAVAILABLE("cluster_unavailable");

    /** Number of kinds; the counters are indexed by {@link #ordinal()} so the hot path never copies values(). */
    public static final int COUNT = values().length;

    private final String label;

    ErrorKind(final String label)
    {
        this.label = label;
    }

    /** @return the Prometheus label value. */
    public String label()
    {
        return label;
    }
}
