/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import io.tern.loadgen.workload.LoadModel;
import io.tern.loadgen.workload.PayloadFlyweight;
import io.tern.loadgen.workload.Schedule;
import io.tern.loadgen.workload.Workload;
import org.HdrHistogram.SingleWriterRecorder;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import java.util.concurrent.locks.LockSupport;

/**
 * Reads every connection, on one thread ({@code loadgen-receiver}), checks every message and records its latency.
 * <p>
 * One selector holds every peer's connection (receivers get messages; any peer may get an {@code error:} line).
 * For each read, the arrival time is the {@link System#nanoTime()} right after the read returned; every line in it is
 * parsed in place from the direct read buffer:
 * <pre>
 *   from &lt;prefix&gt;&lt;peer&gt;: &lt;payload&gt;      the sender's name is parsed to its index without a String;
 *                                        the payload is checked by {@link PayloadFlyweight} (length, hex, checksum,
 *                                        sender field = sender name), then its sequence by {@link StreamChecker};
 *                                        latency is recorded if its due time is in the measured period
 *   from &lt;name&gt;: probe                 a registration probe; ignored
 *   error: ...                           counted, the first few kept as text
 *   anything else                        corrupt
 * </pre>
 * Garbage free on this path: the selector is polled with {@link Selector#select(Consumer, long)} and a handler held
 * in a final field (no selected-key set, no iterator); Strings are only made for error lines.
 * <p>
 * Owns the read buffers, the {@link StreamChecker} and its two recorders. Others read {@link LoadCounters} while it
 * runs and everything else after {@link Thread#join()}.
 */
public final class ReceiverAgent implements Runnable
{
    private static final long SELECT_TIMEOUT_MS = 100;
    private static final int MAX_KEPT_ERRORS = 10;
    private static final byte[] FROM = "from ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ERROR = "error: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PROBE = "probe".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SLOW_CONSUMER = "error: slow consumer".getBytes(StandardCharsets.US_ASCII);

    private final Workload workload;
    private final Schedule schedule;
    private final boolean closedLoop;
    private final int payloadBytes;
    private final Selector selector;
    private final Consumer<SelectionKey> onReadyKey = this::onReadyKey;
    private final PayloadFlyweight payload = new PayloadFlyweight();
    private final StreamChecker checker;
    private final SingleWriterRecorder correctedRecorder;
    private final SingleWriterRecorder uncorrectedRecorder;
    private final LoadCounters counters;
    private final long[] receivedBySender;
    private final List<String> errorSamples = Collections.synchronizedList(new ArrayList<>());
    private final com.sun.management.ThreadMXBean threadMXBean;

    private SenderAgent sender;
    private Thread senderThread;
    private volatile boolean running = true;
    private volatile Throwable failure;

    private long receiveTimeNs;
    private boolean deliveredInBatch;
    private long received;
    private long accounted;
    private long corrupt;
    private long errorLines;
    private long slowConsumerErrors;
    private long disconnects;
    private long probes;
    private long measuredDeliveries;
    private long allocatedBytesAtMeasureStart = -1;
    private long allocatedBytesAtEnd = -1;

    /**
     * Called on the run's thread before this agent's thread starts: registers every connection with its selector.
     *
     * @param workload          topology.
     * @param peers             connections indexed by peer, non-blocking, registered with no other selector.
     * @param schedule          time line.
     * @param model             load model.
     * @param payloadBytes      the configured text bytes per message.
     * @param counters          shared progress counters.
     * @param recording         the recorders; this agent writes {@code corrected} and {@code uncorrected}.
     * @throws IOException if the selector cannot be opened.
     */
    public ReceiverAgent(
        final Workload workload,
        final PeerConnection[] peers,
        final Schedule schedule,
        final LoadModel model,
        final int payloadBytes,
        final LoadCounters counters,
        final LatencyRecording recording) throws IOException
    {
        this.workload = workload;
        this.schedule = schedule;
        this.closedLoop = model.isClosedLoop();
        this.payloadBytes = payloadBytes;
        this.counters = counters;
        this.correctedRecorder = recording.corrected;
        this.uncorrectedRecorder = recording.uncorrected;
        this.checker = new StreamChecker(workload.streamCount());
        this.receivedBySender = new long[workload.senderCount()];
        this.selector = Selector.open();
        for (final PeerConnection peer : peers)
        {
            peer.channel.register(selector, SelectionKey.OP_READ, peer);
        }
        threadMXBean = (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
    }

    /**
     * Closed loop: the sender to unpark when arrivals free a window. Before the thread starts.
     *
     * @param sender       agent.
     * @param senderThread its thread.
     */
    public void wakeSender(final SenderAgent sender, final Thread senderThread)
    {
        this.sender = sender;
        this.senderThread = senderThread;
    }

    /** Asks the agent to stop after its current cycle. Any thread. */
    public void stop()
    {
        running = false;
        selector.wakeup();
    }

    @Override
    public void run()
    {
        try
        {
            while (running)
            {
                doWork(SELECT_TIMEOUT_MS);
            }
        }
        catch (final Throwable t)
        {
            failure = t;
        }
        finally
        {
            allocatedBytesAtEnd = threadMXBean.getCurrentThreadAllocatedBytes();
            publish();
            try
            {
                selector.close();
            }
            catch (final IOException ignore)
            {
                // Shutting down.
            }
        }
    }

    /**
     * One duty cycle: waits up to the timeout for readable connections and processes all of them.
     *
     * @param timeoutMs longest wait.
     * @return how many connections were processed.
     * @throws IOException if the selector fails.
     */
    public int doWork(final long timeoutMs) throws IOException
    {
        final int work = selector.select(onReadyKey, timeoutMs);
        if (allocatedBytesAtMeasureStart < 0 && schedule.isMeasured(System.nanoTime()))
        {
            allocatedBytesAtMeasureStart = threadMXBean.getCurrentThreadAllocatedBytes();
        }
        publish();
        if (deliveredInBatch)
        {
            deliveredInBatch = false;
            if (null != sender)
            {
                // Pairs with the sender's 'parked = true' then volatile re-check: publish arrivals, then look.
                VarHandle.fullFence();
                if (sender.isParked())
                {
                    LockSupport.unpark(senderThread);
                }
            }
        }
        return work;
    }

    private void onReadyKey(final SelectionKey key)
    {
        final PeerConnection peer = (PeerConnection)key.attachment();
        final ByteBuffer buffer = peer.readBuffer;
        try
        {
            while (true)
            {
                final int read = peer.channel.read(buffer);
                if (read < 0)
                {
                    onDisconnect(peer, key, null);
                    return;
                }
                if (read == 0)
                {
                    return;
                }
                receiveTimeNs = System.nanoTime();
                parseLines(peer);
                if (buffer.hasRemaining())
                {
                    return; // the socket had less than the free space: it is drained for now
                }
            }
        }
        catch (final ClosedChannelException ex)
        {
            key.cancel();
        }
        catch (final IOException ex)
        {
            onDisconnect(peer, key, ex);
        }
    }

    private void parseLines(final PeerConnection peer)
    {
        final ByteBuffer buffer = peer.readBuffer;
        final int limit = buffer.position();
        int lineStart = 0;
        for (int i = peer.scanIndex; i < limit; i++)
        {
            if (buffer.get(i) == '\n')
            {
                if (peer.discardingLongLine)
                {
                    peer.discardingLongLine = false;
                }
                else
                {
                    final int end = i > lineStart && buffer.get(i - 1) == '\r' ? i - 1 : i;
                    onLine(peer, buffer, lineStart, end);
                }
                lineStart = i + 1;
            }
        }

        if (lineStart > 0)
        {
            buffer.limit(limit).position(lineStart);
            buffer.compact();
            peer.scanIndex = buffer.position();
        }
        else if (limit == buffer.capacity())
        {
            // No newline in a full buffer: a line longer than anything the broker should send us.
            onCorrupt(peer, buffer, 0, Math.min(limit, 80), "line longer than the read buffer");
            peer.discardingLongLine = true;
            buffer.clear();
            peer.scanIndex = 0;
        }
        else
        {
            peer.scanIndex = limit;
        }
    }

    private void onLine(final PeerConnection peer, final ByteBuffer buffer, final int start, final int end)
    {
        if (startsWith(buffer, start, end, FROM))
        {
            final int nameStart = start + FROM.length;
            int colon = -1;
            for (int i = nameStart; i < end; i++)
            {
                if (buffer.get(i) == ':')
                {
                    colon = i;
                    break;
                }
            }
            if (colon < 0 || colon + 1 >= end || buffer.get(colon + 1) != ' ')
            {
                received++;
                onCorrupt(peer, buffer, start, end, "not 'from <name>: <text>'");
                return;
            }
            final int textStart = colon + 2;
            if (end - textStart == PROBE.length && startsWith(buffer, textStart, end, PROBE))
            {
                probes++;
                return;
            }
            onDelivery(peer, buffer, workload.peerOfName(buffer, nameStart, colon - nameStart), textStart, end);
        }
        else if (startsWith(buffer, start, end, ERROR))
        {
            errorLines++;
            if (end - start == SLOW_CONSUMER.length && startsWith(buffer, start, end, SLOW_CONSUMER))
            {
                slowConsumerErrors++;
            }
            if (errorSamples.size() < MAX_KEPT_ERRORS) // only then is a String made
            {
                keepError("to " + peer.name + ": " + ascii(buffer, start, end));
            }
            counters.problems.setRelease(problems());
        }
        else
        {
            received++;
            onCorrupt(peer, buffer, start, end, "unexpected line");
        }
    }

    private void onDelivery(
        final PeerConnection peer, final ByteBuffer buffer, final int senderPeer, final int textStart, final int end)
    {
        received++;
        final int receiverIndex = peer.receiverIndex;
        final int senderIndex = senderPeer < 0 ? -1 : workload.senderOfPeer(senderPeer);
        if (receiverIndex < 0 || senderIndex < 0 || !workload.sendsTo(senderIndex, receiverIndex))
        {
            onCorrupt(peer, buffer, textStart, end, "from a peer that does not send to it");
            return;
        }
        if (!payload.wrap(buffer, textStart, end - textStart, payloadBytes) || payload.senderIndex() != senderIndex)
        {
            // Its sequence cannot be trusted, so that sequence will also show as lost. In a closed loop it still
            // frees the sender's window, so one bad message does not stall a sender for the rest of the run.
            onCorrupt(peer, buffer, textStart, end, "payload fails its checks");
            creditSender(senderIndex);
            return;
        }

        final int verdict = checker.onSequence(workload.streamIndex(senderIndex, receiverIndex), payload.sequence());
        if (verdict == StreamChecker.DUPLICATE)
        {
            counters.problems.setRelease(problems());
            return;
        }
        if (verdict == StreamChecker.OUT_OF_ORDER)
        {
            counters.problems.setRelease(problems());
        }
        accounted++;
        creditSender(senderIndex);

        final long dueTimeNs = payload.dueTimeNs();
        if (schedule.isMeasured(dueTimeNs))
        {
            measuredDeliveries++;
            correctedRecorder.recordValue(clamp(receiveTimeNs - dueTimeNs));
            uncorrectedRecorder.recordValue(clamp(receiveTimeNs - payload.sendTimeNs()));
        }
    }

    private void creditSender(final int senderIndex)
    {
        if (closedLoop)
        {
            counters.lastDeliveryNsBySender.setRelease(senderIndex, receiveTimeNs);
            counters.receivedBySender.setRelease(senderIndex, ++receivedBySender[senderIndex]);
            deliveredInBatch = true;
        }
    }

    private void onCorrupt(
        final PeerConnection peer, final ByteBuffer buffer, final int start, final int end, final String reason)
    {
        corrupt++;
        accounted++;
        counters.problems.setRelease(problems());
        if (errorSamples.size() < MAX_KEPT_ERRORS) // only then is a String made
        {
            keepError("corrupt to " + peer.name + " (" + reason + "): " + ascii(buffer, start, Math.min(end, start + 120)));
        }
    }

    private void onDisconnect(final PeerConnection peer, final SelectionKey key, final IOException cause)
    {
        if (!peer.closed)
        {
            peer.closed = true;
            disconnects++;
            keepError("peer " + peer.name + " disconnected by the broker" + (null == cause ? "" : ": " + cause));
        }
        key.cancel();
        peer.close();
        counters.problems.setRelease(problems());
    }

    private void keepError(final String text)
    {
        if (errorSamples.size() < MAX_KEPT_ERRORS)
        {
            errorSamples.add(text);
        }
        counters.problems.setRelease(problems());
    }

    private long problems()
    {
        return corrupt + checker.duplicated() + checker.outOfOrder() + errorLines + disconnects;
    }

    private void publish()
    {
        counters.receivedDeliveries.setRelease(received);
        counters.accountedDeliveries.setRelease(accounted);
    }

    private static boolean startsWith(final ByteBuffer buffer, final int start, final int end, final byte[] prefix)
    {
        if (end - start < prefix.length)
        {
            return false;
        }
        for (int i = 0; i < prefix.length; i++)
        {
            if (buffer.get(start + i) != prefix[i])
            {
                return false;
            }
        }
        return true;
    }

    private static String ascii(final ByteBuffer buffer, final int start, final int end)
    {
        final byte[] bytes = new byte[end - start];
        buffer.get(start, bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    private static long clamp(final long valueNs)
    {
        return valueNs < 0 ? 0 : Math.min(valueNs, LatencyRecording.HIGHEST_TRACKABLE_NS);
    }

    // ---------------------------------------------------------------- read after join

    public StreamChecker checker()
    {
        return checker;
    }

    /** @return run messages that arrived, intact or not, duplicates included. */
    public long received()
    {
        return received;
    }

    public long corrupt()
    {
        return corrupt;
    }

    public long errorLines()
    {
        return errorLines;
    }

    /** @return {@code error: slow consumer} lines: the broker found this loadgen reading too slowly. */
    public long slowConsumerErrors()
    {
        return slowConsumerErrors;
    }

    public long disconnects()
    {
        return disconnects;
    }

    /** @return first arrivals whose due time is in the measured period; each is in the latency histograms. */
    public long measuredDeliveries()
    {
        return measuredDeliveries;
    }

    /** @return the first few error lines, corrupt lines and disconnects, as text. */
    public List<String> errorSamples()
    {
        return new ArrayList<>(errorSamples);
    }

    /** @return bytes this thread allocated from the start of the measured period until it stopped, or -1. */
    public long allocatedBytesWhileMeasuring()
    {
        return allocatedBytesAtMeasureStart < 0 || allocatedBytesAtEnd < 0 ?
            -1 : allocatedBytesAtEnd - allocatedBytesAtMeasureStart;
    }

    public Throwable failure()
    {
        return failure;
    }
}
