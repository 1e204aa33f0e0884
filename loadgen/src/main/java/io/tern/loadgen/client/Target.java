/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import java.util.Locale;

/** The kind of server the loadgen drives; each has its own {@link WireProtocol}. */
public enum Target
{
    /** The tern broker: its line protocol, {@code name: text} in, {@code from sender: text} out. */
    TERN("tern broker (line protocol)"),
    /** {@code nats-server}, core NATS: each peer subscribes to its own name as a subject; a message is a PUB. */
    NATS("nats-server (core NATS: SUB to its own name, PUB to the receiver's)"),
    /** {@code redis-server} pub/sub: each peer SUBSCRIBEs to a channel named after itself; a message is a PUBLISH. */
    REDIS("redis-server (pub/sub: SUBSCRIBE to its own name, PUBLISH on a second connection)");

    private final String description;

    Target(final String description)
    {
        this.description = description;
    }

    /** @return the spelling used on the command line and in reports. */
    public String optionValue()
    {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return {@link #optionValue()}: picocli's enum conversion matches it (case-insensitively), and help lists it. */
    @Override
    public String toString()
    {
        return optionValue();
    }

    /** @return a few words on what is spoken to. */
    public String description()
    {
        return description;
    }
}
