/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

/**
 * The kinds of {@code error: ...} line the broker thread sends, each counted in {@link RouterMetrics} and exposed as
 * {@code tern_errors_sent_total{kind="..."}}.
 */
public enum ErrorKind
{
    /** {@code error: invalid name: ...} (empty, too long, or a forbidden byte); the connection is closed. */
    INVALID_NAME("invalid_name"),
    /** {@code error: name '...' is taken}; the newcomer is closed. */
    NAME_TAKEN("name_taken"),
    /** {@code error: no peer '...'}, one per destination that is not connected. */
    NO_PEER("no_peer"),
    /** {@code error: expected 'name[, name...]: text'}. */
    BAD_LINE("bad_line"),
    /** {@code error: line too long (max N bytes)}; the connection is closed. */
    LINE_TOO_LONG("line_too_long"),
    /** {@code error: no name within N ms}; the connection is closed. */
    NAME_TIMEOUT("name_timeout");

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
