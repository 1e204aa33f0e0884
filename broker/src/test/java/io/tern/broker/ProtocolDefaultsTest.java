/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.tern.transport.Protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The protocol's defaults that clients rely on without asking the broker match the broker's own settings.
 */
@Timeout(10)
class ProtocolDefaultsTest
{
    @Test
    void shouldDefaultMaxNameBytesToWhatTheLoadgenKeepsItsNamesWithin()
    {
        assertEquals(Protocol.DEFAULT_MAX_NAME_BYTES, defaultOf(Settings.MAX_NAME_BYTES));
    }

    @Test
    void shouldSizeOutboundRingsForTheLargestLineTheProtocolSends()
    {
        final BrokerConfig config = new BrokerConfig();
        config.conclude();
        assertEquals(Protocol.maxMessageBytes(defaultOf(Settings.MAX_NAME_BYTES), defaultOf(Settings.MAX_LINE_BYTES)),
            config.maxMessageBytes());
        // from <64-byte name>: <65536 bytes of text>\n, as before the formula moved into Protocol
        assertEquals(5 + 64 + 2 + 65536 + 1, config.maxMessageBytes());
    }

    private static int defaultOf(final Setting<Integer> setting)
    {
        return setting.parse(setting.defaultText());
    }
}
