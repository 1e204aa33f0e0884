/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.net.InetAddress;
import java.net.InetSocketAddress;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ConnectionTest
{
    @Test
    @Timeout(10)
    void shouldWriteAnAcceptedAddressAsInetSocketAddressDoes() throws Exception
    {
        final InetSocketAddress[] addresses = {
            new InetSocketAddress(InetAddress.getByAddress(new byte[]{127, 0, 0, 3}), 55873),
            new InetSocketAddress(InetAddress.getByAddress(new byte[]{(byte)255, (byte)128, 0, 10}), 0),
            new InetSocketAddress(InetAddress.getByAddress(new byte[16]), 65535),
        };
        for (final InetSocketAddress address : addresses)
        {
            assertEquals(address.toString(), Connection.addressText(address));
        }
        assertEquals("unknown", Connection.addressText(null));
    }
}
