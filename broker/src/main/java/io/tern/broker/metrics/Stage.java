/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

/**
 * The stages of a message's way through the broker that are timed. Every stamp is {@link System#nanoTime()}:
 * <pre>
 *   read      a reader's socket read that completed the line returned              (reader-N, one stamp per read)
 *   route     the broker thread began routing the line: after the Disruptor ring    (broker, one per message)
 *   write     the write() that handed the delivered message's last byte to the      (writer-M, one per write that
 *             recipient's socket returned: after the outbound ring and staging       completes a message)
 *
 *   read ──── read-to-route ────▶ route ──── route-to-write ────▶ write
 *   └───────────────────────── read-to-write ─────────────────────┘
 * </pre>
 * read-to-route is recorded once per line from a registered peer; route-to-write and read-to-write once per
 * {@code from ...} line delivered (a message to three peers counts three times). Error replies are not timed.
 */
public enum Stage
{
    /** The reader's batching and the Disruptor ring's queueing delay, up to the broker thread. */
    READ_TO_ROUTE("read_to_route", "read-to-route"),
    /** Routing, the recipient's outbound ring, the writer's wake-up, staging and the socket write. */
    ROUTE_TO_WRITE("route_to_write", "route-to-write"),
    /** The whole time inside the broker: from the socket read to the socket write. */
    READ_TO_WRITE("read_to_write", "read-to-write");

    private final String label;
    private final String displayName;

    Stage(final String label, final String displayName)
    {
        this.label = label;
        this.displayName = displayName;
    }

    /** @return the Prometheus label value and the name used in URLs and log files, e.g. {@code read_to_write}. */
    public String label()
    {
        return label;
    }

    /** @return the name for people, e.g. {@code read-to-write}. */
    public String displayName()
    {
        return displayName;
    }

    /**
     * @param text a label or display name.
     * @return the stage, or null if there is none of that name.
     */
    public static Stage byName(final String text)
    {
        for (final Stage stage : values())
        {
            if (stage.label.equals(text) || stage.displayName.equals(text))
            {
                return stage;
            }
        }
        return null;
    }
}
