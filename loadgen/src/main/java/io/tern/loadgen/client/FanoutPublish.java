/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import java.util.Locale;

/**
 * How a fanout line reaches its K receivers on a server that has no multi-destination send (NATS, Redis). tern
 * always sends one line naming all K.
 */
public enum FanoutPublish
{
    /**
     * One publish per line to a subject (channel) that every receiver also subscribes to: the server fans it out,
     * as tern fans out one line naming K peers. The default, because it gives each server the same work per line.
     */
    SHARED,
    /** K publishes per line, one to each receiver's own subject (channel): K times the bytes and parsing. */
    PER_RECEIVER;

    /** @return the spelling used on the command line. */
    public String optionValue()
    {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** @return {@link #optionValue()}: picocli's enum conversion matches it (case-insensitively), and help lists it. */
    @Override
    public String toString()
    {
        return optionValue();
    }
}
