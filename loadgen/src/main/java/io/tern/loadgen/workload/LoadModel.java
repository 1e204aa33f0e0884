/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.workload;

import java.util.Locale;

/** When a sender sends its next message. */
public enum LoadModel
{
    /**
     * Open loop at a fixed total rate: message g of the run (all senders interleaved) is due at
     * {@code start + g / rate}; latency is measured from the due time (coordinated omission corrected) and,
     * separately, from the actual send time.
     */
    OPEN,
    /** Closed loop, one message in flight per sender: the next is sent when the last has arrived everywhere. */
    PING_PONG,
    /** Closed loop as fast as possible with at most {@code --in-flight} messages outstanding per sender. */
    MAX;

    /** @return the spelling used on the command line and in reports. */
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

    /** @return true for the closed-loop models, where there is no schedule and due time is send time. */
    public boolean isClosedLoop()
    {
        return this != OPEN;
    }
}
