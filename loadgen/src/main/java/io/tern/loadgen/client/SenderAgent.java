/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import io.tern.loadgen.workload.LoadModel;
import io.tern.loadgen.workload.Schedule;
import io.tern.loadgen.workload.Workload;
import io.tern.loadgen.workload.WorkloadKind;
import org.HdrHistogram.SingleWriterRecorder;

import java.io.IOException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends every sender's messages, on one thread ({@code loadgen-sender}) for all senders, through the target's
 * {@link Connections}: a tern client's garbage-free send (one line), or the loadgen's own sockets framed by a
 * {@link WireProtocol} (one or K publishes for NATS and Redis).
 * <p>
 * Open loop: message g of the run is due at {@link Schedule#dueTimeNs(long)} and belongs to sender {@code g mod S}.
 * The agent parks until the next due time (optionally spinning the last {@code --spin} of it), then offers every
 * message that is due, up to a batch, each to its sender's connection, and has each touched connection written once.
 * How late each message left compared with its due time is recorded into the send-lag recorder: it is the loadgen's
 * own contribution to the corrected latency. If a connection's buffer is full (the broker is not reading), the
 * schedule waits: messages go out late and their latency, measured from the due time, shows it.
 * <p>
 * Closed loop (ping-pong, max): each sender may have {@code in-flight} messages sent but not yet received (all K
 * deliveries for fanout); the receiver publishes per-sender arrivals and unparks this thread when it is parked. The
 * send lag then is the turnaround: from the read that freed a sender's window to the send it allowed. With one
 * client thread ({@link #receiveInline(ReceiverAgent)}) there is no receiver thread to unpark us: this thread polls
 * the receiver between sends, and instead of parking it blocks in the receiver's selector (or busy-polls it while
 * {@code --spin} lasts), so an arrival and the send it allows are on the same thread.
 * <p>
 * Garbage free once running: messages are encoded into pre-allocated direct buffers (see the
 * {@link Connections} of each target), the random source is a
 * {@link SplittableRandom}, latency goes to a {@link SingleWriterRecorder}. The thread's allocated bytes over the
 * measured period are kept for the summary to prove it.
 * <p>
 * NATS: the server PINGs every connection now and then; this thread answers before each batch
 * ({@link Connections#beforeBatch()}).
 * <p>
 * Owns the sending side of the connections, the per-stream sent counts and its recorder. Other threads read only {@link LoadCounters}
 * and {@link #isParked()} while it runs, and the rest after {@link Thread#join()}.
 */
public final class SenderAgent implements Runnable
{
    private static final int SENT = Connections.SENT;
    private static final int BLOCKED = Connections.BLOCKED;

    /** At most this many due messages are encoded before the queued bytes are written. */
    private static final int MAX_BATCH = 64;
    /** While the broker is not taking our bytes, retry writing this often. */
    private static final long WRITE_RETRY_PARK_NS = TimeUnit.MICROSECONDS.toNanos(50);
    /** Closed loop: longest park when every window is full; the receiver unparks us sooner. */
    private static final long IDLE_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);
    /** Closed loop on one thread: longest block in the receiver's selector when every window is full. */
    private static final long INLINE_SELECT_TIMEOUT_MS = 1;
    /** Open loop: give up the rest of the schedule when still this far behind after the measured period. */
    private static final long GIVE_UP_BEHIND_NS = TimeUnit.SECONDS.toNanos(1);
    /** After the last message, how long to keep trying to write queued bytes. */
    private static final long FINAL_FLUSH_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(1);
    private static final long MAX_RECORDABLE_NS = LatencyRecording.HIGHEST_TRACKABLE_NS;

    private final Workload workload;
    private final Connections connections;
    private final Schedule schedule;
    private final boolean closedLoop;
    private final boolean mesh;
    private final boolean fanout;
    private final long windowDeliveries;
    private final int deliveriesPerMessage;
    private final long spinNs;
    private final SplittableRandom random;
    private final LoadCounters counters;
    private final SingleWriterRecorder[] sendLagByPhase;
    private final long[] streamSent;
    private final long[] sentDeliveriesBySender;
    private final boolean[] windowWasFull;
    private final MeasuredAllocation allocation = new MeasuredAllocation();

    private long sentMessages;
    private long sentDeliveries;
    private long measuredSentMessages;
    private long lastSendTimeNs;
    private ReceiverAgent inlineReceiver;
    private volatile boolean parked;
    private volatile boolean done;
    private volatile Throwable failure;

    /**
     * Called on the run's thread before this agent's thread starts.
     *
     * @param workload          topology.
     * @param connections       the registered peers, framed and written as the target needs.
     * @param schedule          time line.
     * @param model             load model.
     * @param inFlightPerSender closed loop: messages in flight per sender.
     * @param spinNs            how long to spin before a due time (open) or for a free slot (closed) instead of
     *                          parking.
     * @param seed              of the mesh destinations.
     * @param counters          shared progress counters.
     * @param sendLagByPhase    this agent's recorders, in ns, indexed by {@link Schedule#measuredBit(long)}.
     */
    public SenderAgent(
        final Workload workload,
        final Connections connections,
        final Schedule schedule,
        final LoadModel model,
        final int inFlightPerSender,
        final long spinNs,
        final long seed,
        final LoadCounters counters,
        final SingleWriterRecorder[] sendLagByPhase)
    {
        this.workload = workload;
        this.schedule = schedule;
        this.closedLoop = model.isClosedLoop();
        this.mesh = workload.kind() == WorkloadKind.MESH;
        this.fanout = workload.kind() == WorkloadKind.FANOUT;
        this.deliveriesPerMessage = workload.deliveriesPerMessage();
        this.windowDeliveries = (long)inFlightPerSender * deliveriesPerMessage;
        this.spinNs = spinNs;
        this.random = new SplittableRandom(seed);
        this.counters = counters;
        this.sendLagByPhase = sendLagByPhase;

        this.connections = connections;
        final int senders = workload.senderCount();
        streamSent = new long[workload.streamCount()];
        sentDeliveriesBySender = new long[senders];
        windowWasFull = new boolean[senders];
    }

    /**
     * Closed loop on one thread: this agent polls the receiver itself instead of parking. Before the thread starts;
     * the thread then runs this agent and, once it is {@link #isDone() done}, the receiver's own loop for the drain.
     *
     * @param receiver the agent reading the peers' connections.
     */
    public void receiveInline(final ReceiverAgent receiver)
    {
        this.inlineReceiver = receiver;
    }

    /** @return true once {@link #run()} has returned; its results may then be read from any thread. */
    public boolean isDone()
    {
        return done;
    }

    @Override
    public void run()
    {
        try
        {
            if (closedLoop)
            {
                runClosedLoop();
            }
            else
            {
                runOpenLoop();
            }
            finalFlush();
        }
        catch (final Throwable t)
        {
            failure = t;
        }
        finally
        {
            allocation.onStop();
            publish();
            done = true;
        }
    }

    private void runOpenLoop()
    {
        final int senders = workload.senderCount();
        final long endNs = schedule.measureEndNs();
        long messageIndex = 0;
        long dueNs = schedule.dueTimeNs(messageIndex);

        while (dueNs - endNs < 0)
        {
            long nowNs = System.nanoTime();
            if (nowNs - endNs >= GIVE_UP_BEHIND_NS)
            {
                break; // hopelessly behind: the summary shows the messages never sent
            }

            connections.beforeBatch();
            int batch = 0;
            boolean blocked = false;
            while (dueNs - nowNs <= 0 && dueNs - endNs < 0 && batch < MAX_BATCH)
            {
                final int result = trySend((int)(messageIndex % senders), dueNs);
                if (result == BLOCKED)
                {
                    blocked = true;
                    break;
                }
                messageIndex++;
                batch++;
                dueNs = schedule.dueTimeNs(messageIndex);
            }
            connections.afterBatch();
            publish();

            if (batch == MAX_BATCH)
            {
                continue; // behind schedule: no waiting
            }
            if (blocked)
            {
                LockSupport.parkNanos(WRITE_RETRY_PARK_NS);
                continue;
            }
            nowNs = System.nanoTime();
            final long waitNs = dueNs - nowNs;
            if (waitNs > spinNs)
            {
                LockSupport.parkNanos(Math.min(waitNs - spinNs, connections.hasUnwritten() ? WRITE_RETRY_PARK_NS : waitNs));
            }
            else if (waitNs > 0)
            {
                Thread.onSpinWait();
            }
        }
    }

    private void runClosedLoop() throws IOException
    {
        final int senders = workload.senderCount();
        final long endNs = schedule.measureEndNs();
        long idleSinceNs = 0;
        boolean idle = false;

        while (true)
        {
            final long nowNs = System.nanoTime();
            if (nowNs - endNs >= 0)
            {
                break;
            }

            if (null != inlineReceiver)
            {
                inlineReceiver.doWork(0); // take what has arrived: it may open windows
            }
            connections.beforeBatch();
            int sent = 0;
            for (int s = 0; s < senders; s++)
            {
                long outstanding = sentDeliveriesBySender[s] - counters.receivedBySender.getAcquire(s);
                if (outstanding + deliveriesPerMessage > windowDeliveries)
                {
                    windowWasFull[s] = true;
                    continue;
                }
                while (outstanding + deliveriesPerMessage <= windowDeliveries)
                {
                    if (trySend(s, 0) != SENT)
                    {
                        break;
                    }
                    if (windowWasFull[s])
                    {
                        windowWasFull[s] = false;
                        // Turnaround: from the read that freed this sender's window to this send.
                        final long freedAtNs = counters.lastDeliveryNsBySender.getAcquire(s);
                        sendLagByPhase[schedule.measuredBit(lastSendTimeNs)].recordValue(
                            clamp(lastSendTimeNs - freedAtNs));
                    }
                    outstanding += deliveriesPerMessage;
                    sent++;
                }
            }
            connections.afterBatch();
            publish();

            if (sent > 0)
            {
                idle = false;
                continue;
            }
            if (connections.hasUnwritten())
            {
                waitInClosedLoop(WRITE_RETRY_PARK_NS);
                continue;
            }
            if (spinNs > 0)
            {
                if (!idle)
                {
                    idle = true;
                    idleSinceNs = nowNs;
                }
                if (nowNs - idleSinceNs < spinNs)
                {
                    Thread.onSpinWait();
                    continue;
                }
            }
            if (null != inlineReceiver)
            {
                inlineReceiver.doWork(INLINE_SELECT_TIMEOUT_MS); // block until an arrival, no hand-off
                continue;
            }
            // Dekker-style hand-shake with the receiver: publish 'parked' (volatile write), then re-check the windows
            // with volatile reads; the receiver publishes arrivals, fences, then reads 'parked'. One of us sees the
            // other, so a wake-up is never lost (and the park is bounded anyway).
            parked = true;
            if (!anyWindowOpen())
            {
                LockSupport.parkNanos(Math.min(IDLE_PARK_NS, endNs - nowNs));
            }
            parked = false;
        }
    }

    /** Closed loop, waiting for the server to take queued bytes: with one thread, take arrivals first. */
    private void waitInClosedLoop(final long parkNs) throws IOException
    {
        if (null != inlineReceiver)
        {
            inlineReceiver.doWork(0);
        }
        LockSupport.parkNanos(parkNs);
    }

    private boolean anyWindowOpen()
    {
        for (int s = 0; s < sentDeliveriesBySender.length; s++)
        {
            if (sentDeliveriesBySender[s] - counters.receivedBySender.get(s) + deliveriesPerMessage <= windowDeliveries)
            {
                return true;
            }
        }
        return false;
    }

    /**
     * Offers one message of a sender to its connection ({@link Connections#offer}).
     *
     * @param sender    index.
     * @param dueTimeNs open loop: its due time; ignored by closed loops, where it is the send time.
     * @return {@link #SENT}, {@link #BLOCKED} (buffer full, try later) or {@link Connections#SKIPPED} (connection failed).
     */
    private int trySend(final int sender, final long dueTimeNs)
    {
        int receiver = sender;
        if (mesh)
        {
            receiver = random.nextInt(workload.receiverCount() - 1);
            if (receiver >= sender)
            {
                receiver++;
            }
        }

        final int stream = workload.streamIndex(sender, fanout ? 0 : receiver);
        final long sequence = streamSent[stream];
        final long sendTimeNs = System.nanoTime();
        final long dueNs = closedLoop ? sendTimeNs : dueTimeNs;
        final int offered = connections.offer(sender, receiver, sequence, dueNs, sendTimeNs);
        if (offered != SENT)
        {
            return offered;
        }

        if (fanout)
        {
            for (int i = stream, end = stream + deliveriesPerMessage; i < end; i++)
            {
                streamSent[i]++;
            }
        }
        else
        {
            streamSent[stream]++;
        }
        sentMessages++;
        sentDeliveries += deliveriesPerMessage;
        sentDeliveriesBySender[sender] += deliveriesPerMessage;
        lastSendTimeNs = sendTimeNs;
        final int measured = schedule.measuredBit(dueNs); // no branch on the phase: see Schedule.measuredBit
        measuredSentMessages += measured;
        if (!closedLoop)
        {
            sendLagByPhase[measured].recordValue(clamp(sendTimeNs - dueNs));
        }

        return SENT;
    }

    private void finalFlush()
    {
        final long deadlineNs = System.nanoTime() + FINAL_FLUSH_TIMEOUT_NS;
        connections.afterBatch();
        while (connections.hasUnwritten() && System.nanoTime() - deadlineNs < 0)
        {
            LockSupport.parkNanos(WRITE_RETRY_PARK_NS);
            connections.afterBatch();
        }
    }

    private void publish()
    {
        counters.sentMessages.setRelease(sentMessages);
        counters.sentDeliveries.setRelease(sentDeliveries);
    }

    private static long clamp(final long valueNs)
    {
        return valueNs < 0 ? 0 : Math.min(valueNs, MAX_RECORDABLE_NS);
    }

    /** @return true while parked waiting for a window; read by the receiver thread. */
    boolean isParked()
    {
        return parked;
    }

    // ---------------------------------------------------------------- read after join

    /** @return per stream, messages sent on it. Read after the thread has been joined. */
    public long[] streamSent()
    {
        return streamSent;
    }

    public long sentMessages()
    {
        return sentMessages;
    }

    public long sentDeliveries()
    {
        return sentDeliveries;
    }

    /** @return messages sent whose due time is in the measured period. */
    public long measuredSentMessages()
    {
        return measuredSentMessages;
    }

    /** @return bytes still queued, never written, when the agent stopped. */
    public long unwrittenBytes()
    {
        return connections.unwrittenBytes();
    }

    public long writeFailures()
    {
        return connections.writeFailures();
    }

    /** @return what this agent's thread allocated while the run was measured. */
    public MeasuredAllocation allocation()
    {
        return allocation;
    }

    /** @return the exception that stopped the agent, or null. */
    public Throwable failure()
    {
        return failure;
    }
}
