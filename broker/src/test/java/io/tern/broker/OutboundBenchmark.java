/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;


import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Setup;

import io.tern.transport.Connection;
import io.tern.transport.InProcessTransport;
import io.tern.transport.Outbound;

/**
 * A peer's outbound ring on its own: the broker's stamped {@link Outbound#tryBegin(int, long, long)},
 * {@code append}, {@code commit} of a 64-byte message, then the writer's drain of the ring into the connection's
 * staging buffer with the stamps kept (no socket write). Both sides run on the benchmark thread. Garbage-free: expect
 * {@code gc.alloc.rate.norm} ≈ 0 B/op.
 * <pre>
 *   broker:  tryBegin(64, readNs, routeNs) ─▶ append(64 bytes) ─▶ commit()
 *   writer:  drainTo(staging, stamps)
 * </pre>
 */
public class OutboundBenchmark extends BenchmarkSupport
{
    private static final int MESSAGE_BYTES = 64;

    private Connection connection;
    private Outbound outbound;
    private final UnsafeBuffer message = new UnsafeBuffer(new byte[MESSAGE_BYTES]);
    private long readNs;

    @Setup
    public void setUp()
    {
        final BrokerConfig config = defaults();
        connection = connection(config, 0);
        outbound = connection.outbound();
        message.setMemory(0, MESSAGE_BYTES, (byte)'x');
        message.putByte(MESSAGE_BYTES - 1, (byte)'\n');
        readNs = System.nanoTime();
    }

    /** One message in, then one drain. */
    @Benchmark
    public int oneMessageThenDrain()
    {
        write();
        return InProcessTransport.drain(connection);
    }

    /** 16 messages in, then one drain takes them all (as a writer behind the broker would); per message. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int sixteenMessagesThenDrain()
    {
        for (int i = 0; i < BATCH; i++)
        {
            write();
        }
        return InProcessTransport.drain(connection);
    }

    private void write()
    {
        // Constant stamps: the broker's clock reading is the route benchmark's business, not the ring's.
        if (!outbound.tryBegin(MESSAGE_BYTES, readNs, readNs))
        {
            throw new IllegalStateException("outbound ring full: the drain should have emptied it");
        }
        outbound.append(message, 0, MESSAGE_BYTES);
        outbound.commit();
    }
}
