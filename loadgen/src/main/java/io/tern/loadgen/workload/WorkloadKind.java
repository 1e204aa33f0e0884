/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.workload;

import java.util.Locale;

/** Who sends to whom. */
public enum WorkloadKind
{
    /** N senders, N receivers; sender i sends only to receiver i. */
    PAIRS,
    /** S senders, K receivers; every message of every sender is addressed to all K receivers in one line. */
    FANOUT,
    /** P peers, each both sender and receiver; each message goes to one other peer chosen at random. */
    MESH,
    /** No peers and no messages: only the idle peers of {@code --idle-peers}, held for the measured time. */
    NONE;

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
}
