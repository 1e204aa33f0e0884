/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * A running broker. STUB: the real implementation is being written.
 */
public final class Broker implements AutoCloseable
{
    public static Broker launch(final BrokerConfig config) throws IOException
    {
        throw new UnsupportedOperationException("not yet");
    }

    /** @return the address actually bound (port resolved when configured as 0). */
    public InetSocketAddress localAddress()
    {
        throw new UnsupportedOperationException("not yet");
    }

    /** @return peers disconnected as slow consumers since start. */
    public long slowConsumerDisconnects()
    {
        throw new UnsupportedOperationException("not yet");
    }

    /** Orderly shutdown: stop accepting, route everything already read, flush within the deadline, close. */
    @Override
    public void close()
    {
    }
}
