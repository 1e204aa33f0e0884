/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import io.tern.transport.Connection;
import io.tern.transport.InProcessTransport;
import io.tern.transport.Outbound;

import static io.tern.broker.Settings.OUTBOUND_RING_BYTES;
import static io.tern.broker.Settings.WRITE_BUFFER_BYTES;

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
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = BenchmarkSupport.AGRONA_EXPORTS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class OutboundBenchmark
{
    private static final int MESSAGE_BYTES = 64;

    private Connection connection;
    private Outbound outbound;
    private final UnsafeBuffer message = new UnsafeBuffer(new byte[MESSAGE_BYTES]);
    private long readNs;

    @Setup
    public void setUp()
    {
        final BrokerConfig config = BenchmarkSupport.defaults();
        connection = InProcessTransport.connection(0, config.get(OUTBOUND_RING_BYTES), config.get(WRITE_BUFFER_BYTES));
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
    @OperationsPerInvocation(16)
    public int sixteenMessagesThenDrain()
    {
        for (int i = 0; i < 16; i++)
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
