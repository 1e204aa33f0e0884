/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import io.tern.loadgen.workload.LoadModel;
import io.tern.loadgen.workload.PayloadFlyweight;
import io.tern.loadgen.workload.Schedule;
import io.tern.loadgen.workload.Workload;
import io.tern.loadgen.workload.WorkloadKind;
import org.HdrHistogram.SingleWriterRecorder;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Reads every connection, on one thread ({@code loadgen-receiver}), checks every message and records its latency.
 * <p>
 * It polls the target's {@link Connections}, which call back here ({@link FrameHandler}): for tern, one invoker
 * {@code TernEventLoop} holds every peer's client, and each client's handler hands on the message it decoded with
 * its arrival time (the client's {@code ReceivedMessage.readTimeNs()}, taken right after the read that brought it);
 * for NATS and Redis one selector holds every connection (and every Redis publisher connection, for its PUBLISH
 * replies), the arrival time is the {@link System#nanoTime()} right after each read, and the target's {@link FrameParser} splits what was read into
 * frames in place, in the direct read buffer:
 * <pre>
 *   a message (tern: from &lt;sender&gt;: &lt;payload&gt;; NATS: MSG &lt;own subject&gt; ...; Redis: message &lt;own channel&gt; ...)
 *        the payload is checked by {@link PayloadFlyweight} (length, hex, checksum; for tern also its sender field
 *        against the sender's name, parsed to an index without a String), then its sequence by {@link StreamChecker}
 *        per (sender, receiver); latency is recorded if its due time is in the measured period
 *   a probe (text 'probe')          left over from registration; ignored
 *   an error (error: ..., -ERR ...) counted, the first few kept as text; so is a Redis PUBLISH that reached fewer
 *                                   or more subscribers than it should
 *   a NATS PING                     counted for the sender thread, which writes the PONG
 *   anything else                   corrupt (tern's client only logs a line that is neither a message nor an
 *                                   error, so there it shows as lost)
 *   a connection closed             a disconnect
 * </pre>
 * The checks after parsing are the same code for every target, so a lost, duplicated, out-of-order or corrupt message
 * is counted alike whichever server carried it.
 * <p>
 * Garbage free on this path (the polling of each target is, see its {@link Connections}); Strings are only made for
 * the first few errors.
 * <p>
 * Owns the receiving side of the connections, the {@link StreamChecker} and its two recorders. Others read {@link LoadCounters} while it
 * runs and everything else after {@link Thread#join()}.
 */
public final class ReceiverAgent implements Runnable, FrameHandler
{
    private static final long SELECT_TIMEOUT_MS = 100;
    private static final int MAX_KEPT_ERRORS = 10;
    private static final byte[] PROBE = WireProtocol.PROBE;

    private final Workload workload;
    private final Connections connections;
    private final long subscribersPerPublish;
    private final Schedule schedule;
    private final boolean closedLoop;
    private final int payloadBytes;
    private final PayloadFlyweight payload = new PayloadFlyweight();
    private final StreamChecker checker;
    private final SingleWriterRecorder[] correctedByPhase;
    private final SingleWriterRecorder[] uncorrectedByPhase;
    private final LoadCounters counters;
    private final long[] receivedBySender;
    private final List<String> errorSamples = Collections.synchronizedList(new ArrayList<>());
    private final MeasuredAllocation allocation = new MeasuredAllocation();

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
    private long pings;
    private long measuredDeliveries;

    /**
     * Called on the run's thread before this agent's thread starts.
     *
     * @param workload          topology.
     * @param connections       the registered peers, read as the target needs.
     * @param schedule          time line.
     * @param model             load model.
     * @param payloadBytes      the configured text bytes per message.
     * @param counters          shared progress counters.
     * @param recording         the recorders; this agent writes {@code corrected} and {@code uncorrected}.
     */
    public ReceiverAgent(
        final Workload workload,
        final Connections connections,
        final Schedule schedule,
        final LoadModel model,
        final int payloadBytes,
        final LoadCounters counters,
        final LatencyRecording recording)
    {
        this.workload = workload;
        this.connections = connections;
        this.subscribersPerPublish = connections.subscribersPerPublish();
        this.schedule = schedule;
        this.closedLoop = model.isClosedLoop();
        this.payloadBytes = payloadBytes;
        this.counters = counters;
        this.correctedByPhase = recording.correctedByPhase;
        this.uncorrectedByPhase = recording.uncorrectedByPhase;
        this.checker = new StreamChecker(workload.streamCount());
        this.receivedBySender = new long[workload.senderCount()];
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
        connections.wake();
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
            allocation.onStop();
            publish();
        }
    }

    /**
     * One duty cycle: waits up to the timeout for readable connections and processes all of them.
     *
     * @param timeoutMs longest wait; 0 does not wait (one client thread polls this way between sends).
     * @return how many connections were processed.
     * @throws IOException if the selector fails.
     */
    public int doWork(final long timeoutMs) throws IOException
    {
        final int work = connections.poll(timeoutMs, this);
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

    @Override
    public void onArrival(final long nanoTime)
    {
        receiveTimeNs = nanoTime;
    }

    @Override
    public void onMessage(
        final ReceivingPeer peer, final ByteBuffer buffer, final int senderPeer, final int textStart, final int textEnd)
    {
        // A late copy of a registration probe: "probe", or across nodes "probe-<peer>" (never a run payload, which is
        // at least a header long).
        if (textEnd - textStart <= WireProtocol.MAX_PROBE_BYTES && WireProtocol.startsWith(buffer, textStart, textEnd,
            PROBE))
        {
            probes++;
            return;
        }
        if (senderPeer == SENDER_IN_PAYLOAD)
        {
            onDeliveryNamedInPayload(peer, buffer, textStart, textEnd);
        }
        else
        {
            onDelivery(peer, buffer, senderPeer, textStart, textEnd);
        }
    }

    @Override
    public void onServerError(
        final ReceivingPeer peer, final ByteBuffer buffer, final int start, final int end, final boolean slowConsumer)
    {
        errorLines++;
        if (slowConsumer)
        {
            slowConsumerErrors++;
        }
        if (errorSamples.size() < MAX_KEPT_ERRORS) // only then is a String made
        {
            keepError("to " + peer.name() + ": " + ascii(buffer, start, end));
        }
        counters.problems.setRelease(problems());
    }

    @Override
    public void onCorrupt(
        final ReceivingPeer peer, final ByteBuffer buffer, final int start, final int end, final String reason)
    {
        received++;
        corrupt(peer, buffer, start, end, reason);
    }

    @Override
    public void onPing(final PeerConnection peer)
    {
        // Single writer of both: publish the peer's count first, so the sender, seeing the total, finds it.
        peer.pingsReceived.setRelease(peer.pingsReceived.getPlain() + 1);
        counters.pingsReceived.setRelease(++pings);
    }

    @Override
    public void onPublishReply(final PeerConnection publisher, final long subscribers)
    {
        if (subscribersPerPublish >= 0 && subscribers != subscribersPerPublish)
        {
            // Like tern's 'error: no peer': the server could not deliver (or delivered to a stranger).
            errorLines++;
            if (errorSamples.size() < MAX_KEPT_ERRORS)
            {
                keepError("a PUBLISH by " + publisher.name + " reached " + subscribers + " subscribers, expected " +
                    subscribersPerPublish);
            }
            counters.problems.setRelease(problems());
        }
    }

    private void onDelivery(
        final ReceivingPeer peer, final ByteBuffer buffer, final int senderPeer, final int textStart, final int end)
    {
        received++;
        final int receiverIndex = peer.receiverIndex();
        final int senderIndex = senderPeer < 0 ? -1 : workload.senderOfPeer(senderPeer);
        if (receiverIndex < 0 || senderIndex < 0 || !workload.sendsTo(senderIndex, receiverIndex))
        {
            corrupt(peer, buffer, textStart, end, "from a peer that does not send to it");
            return;
        }
        if (!payload.wrap(buffer, textStart, end - textStart, payloadBytes) || payload.senderIndex() != senderIndex)
        {
            // Its sequence cannot be trusted, so that sequence will also show as lost. In a closed loop it still
            // frees the sender's window, so one bad message does not stall a sender for the rest of the run.
            corrupt(peer, buffer, textStart, end, "payload fails its checks");
            creditSender(senderIndex);
            return;
        }
        onIntact(receiverIndex, senderIndex);
    }

    /**
     * NATS and Redis: the server does not say who published, so the payload's sender field does (the checksum covers
     * it); the subject or channel was checked by the parser.
     */
    private void onDeliveryNamedInPayload(
        final ReceivingPeer peer, final ByteBuffer buffer, final int textStart, final int end)
    {
        received++;
        final int receiverIndex = peer.receiverIndex();
        if (!payload.wrap(buffer, textStart, end - textStart, payloadBytes))
        {
            corrupt(peer, buffer, textStart, end, "payload fails its checks");
            // Whose window to free? Only pairs can tell without the payload: receiver i hears from sender i alone.
            if (receiverIndex >= 0 && workload.kind() == WorkloadKind.PAIRS)
            {
                creditSender(receiverIndex);
            }
            return;
        }
        final int senderIndex = payload.senderIndex();
        if (receiverIndex < 0 || senderIndex >= workload.senderCount() ||
            !workload.sendsTo(senderIndex, receiverIndex))
        {
            corrupt(peer, buffer, textStart, end, "names a sender that does not send to it");
            return;
        }
        onIntact(receiverIndex, senderIndex);
    }

    /** An intact payload from a sender that sends to this receiver: sequence check, credit, latency. */
    private void onIntact(final int receiverIndex, final int senderIndex)
    {
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

        // Warm-up arrivals go to the warm-up twins by the same code (no branch on the phase, see Schedule.measuredBit).
        final long dueTimeNs = payload.dueTimeNs();
        final int measured = schedule.measuredBit(dueTimeNs);
        measuredDeliveries += measured;
        correctedByPhase[measured].recordValue(clamp(receiveTimeNs - dueTimeNs));
        uncorrectedByPhase[measured].recordValue(clamp(receiveTimeNs - payload.sendTimeNs()));
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

    private void corrupt(
        final ReceivingPeer peer, final ByteBuffer buffer, final int start, final int end, final String reason)
    {
        corrupt++;
        accounted++;
        counters.problems.setRelease(problems());
        if (errorSamples.size() < MAX_KEPT_ERRORS) // only then is a String made
        {
            keepError("corrupt to " + peer.name() + " (" + reason + "): " + ascii(buffer, start, Math.min(end, start + 120)));
        }
    }

    @Override
    public void onDisconnect(final ReceivingPeer peer, final Object cause)
    {
        disconnects++;
        keepError("peer " + peer.name() + " disconnected by the broker" + (null == cause ? "" : ": " + cause));
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

    /** @return what this agent's thread allocated while the run was measured. */
    public MeasuredAllocation allocation()
    {
        return allocation;
    }

    public Throwable failure()
    {
        return failure;
    }
}
