/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;

/**
 * One agent, {@code shared}, doing the reader's, the broker's and the writer's duty cycles in turn on one thread, as
 * Aeron's shared threading mode runs its agents in a {@code CompositeAgent}. The reader and the writer do not know they
 * share a thread: this class gives the writer a {@link SharedSelectorWriteInterest}, so write-readiness is reported by
 * the selector the thread blocks in, and closes both in its {@link #onClose()}. A message then crosses no thread
 * hand-off inside the broker: read, route and write happen in one pass, which on a machine with few cores is worth more
 * than the parallelism of separate threads.
 * <pre>
 *   duty cycle:  reader.doWork()  ──▶  consumer.poll() (Disruptor EventPoller ▶ Router)  ──▶  writer.doWork()
 *   idle:        block in the reader's selector (a socket readable or writable, a watched socket readable, or a
 *                wakeup); at most 1 ms while a socket waits for OP_WRITE on the writer's own selector (input ended),
 *                which each cycle polls, and at most the consumer's own bound ({@link SinkConsumer#maxWaitMs()})
 * </pre>
 * With the default blocking idle strategy each wake-up costs one {@code epoll_wait}: the blocking select reads what
 * is ready, the next cycle routes and writes it without polling the selector again, and then, unless back-pressure,
 * the ring or the writer still holds work, the thread blocks again at once (a socket that became ready meanwhile ends
 * that wait immediately).
 * Orderly stop: the reader publishes what it has read and stops; the consumer drains the ring; only then is the
 * writer asked to flush within the deadline, so nothing already read is lost.
 */
final class SharedAgent implements Agent
{
    private final Reader reader;
    private final SinkConsumer consumer;
    private final Writer writer;
    private final long flushTimeoutNs;
    private final AgentIdleStrategy idleStrategy;
    private final boolean blocks;
    private boolean justBlocked;
    private boolean readerDone;
    private boolean consumerDone;

    SharedAgent(
        final Reader reader,
        final SinkConsumer consumer,
        final Writer writer,
        final long flushTimeoutMs,
        final IdleStrategyKind idleKind,
        final int maxConnections)
    {
        this.reader = reader;
        this.consumer = consumer;
        this.writer = writer;
        this.flushTimeoutNs = TimeUnit.MILLISECONDS.toNanos(flushTimeoutMs);
        this.idleStrategy = new AgentIdleStrategy(idleKind, this::block);
        this.blocks = idleKind == IdleStrategyKind.BLOCK;
        writer.writeInterest(new SharedSelectorWriteInterest(writer.ownWriteInterest(), maxConnections));
    }

    AgentIdleStrategy idleStrategy()
    {
        return idleStrategy;
    }

    @Override
    public String roleName()
    {
        return "shared";
    }

    @Override
    public int doWork()
    {
        int work = 0;
        if (!readerDone)
        {
            try
            {
                work += reader.doWork(!justBlocked);
            }
            catch (final AgentTerminationException ex)
            {
                readerDone = true;
            }
        }

        justBlocked = false;

        work += consumer.poll();
        if (readerDone && !consumerDone && consumer.isIdle())
        {
            consumerDone = true;
            writer.requestStop(System.nanoTime() + flushTimeoutNs);
        }

        work += writer.doWork(); // ends the duty cycle loop once the writer has flushed after a stop

        if (blocks && work > 0 && !readerDone && !reader.isBlocked() && consumer.isIdle() && !writer.hasPendingWork())
        {
            // All that is left is what a socket will report: block now, rather than poll once more and find nothing.
            // A socket that became ready meanwhile ends the wait at once, so this costs no latency.
            return 0;
        }
        return work;
    }

    /** Closes the writer first (it closes the sockets still open), then the reader (its selector). */
    @Override
    public void onClose()
    {
        try
        {
            writer.onClose();
        }
        finally
        {
            reader.onClose();
        }
    }

    private void block()
    {
        reader.block(Math.min(writer.maxBlockMs(), consumer.maxWaitMs()));
        justBlocked = true;
    }
}
