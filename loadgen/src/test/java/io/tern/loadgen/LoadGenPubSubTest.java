/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen;

import io.tern.loadgen.FakePubSubServer.Fault;
import io.tern.loadgen.report.RunSummary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static io.tern.loadgen.LoadGenBrokerTest.assertCleanAndComplete;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The NATS and Redis adapters (--target nats, --target redis) against the in-test {@link FakeNatsServer} and
 * {@link FakeRedisServer}, about a second per run: every workload and load model delivers every message once and in
 * order, recording stays allocation free, and a server that loses, duplicates or corrupts one message (or, Redis,
 * misreports a PUBLISH) makes the run say so and exit 1, exactly as for tern. Runs in CI without either server
 * installed; {@code LoadGenRealServersTest} repeats the main cases against the real ones when they are.
 */
class LoadGenPubSubTest
{
    /** The routed delivery the fake server misbehaves on: well inside the measured period. */
    private static final long FAULTY_INDEX = 150;

    private static FakePubSubServer server(final String target, final Fault fault) throws IOException
    {
        return target.equals("nats") ? new FakeNatsServer(fault, FAULTY_INDEX, 100) :
            new FakeRedisServer(fault, FAULTY_INDEX);
    }

    private record Run(LoadGenResult result, String output)
    {
        RunSummary summary()
        {
            return result.summary();
        }

        RunSummary.Counts counts()
        {
            return result.summary().counts();
        }
    }

    private static Run run(final FakePubSubServer server, final String target, final String... args)
    {
        final String[] all = new String[args.length + 6];
        all[0] = "--target";
        all[1] = target;
        all[2] = "--port";
        all[3] = Integer.toString(server.port());
        all[4] = "--name-prefix";
        all[5] = "t-";
        System.arraycopy(args, 0, all, 6, args.length);
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final LoadGenResult result = LoadGen.run(LoadGenOptions.parse(all),
            new PrintStream(bytes, true, StandardCharsets.UTF_8));
        final String output = bytes.toString(StandardCharsets.UTF_8);
        System.out.print(output);
        return new Run(result, output);
    }

    @ParameterizedTest
    @ValueSource(strings = {"nats", "redis"})
    @Timeout(30)
    void shouldDeliverEveryPairsMessageWithoutAllocatingPerMessage(final String target) throws Exception
    {
        try (FakePubSubServer server = server(target, Fault.NONE))
        {
            final Run run = run(server, target, "--workload", "pairs", "--pairs", "3", "--rate", "3000",
                "--warmup", "300ms", "--duration", "1200ms", "--message-bytes", "100", "--quiet");

            assertEquals(LoadGen.EXIT_OK, run.result().exitCode(), run.output());
            assertCleanAndComplete(run.summary(), run.output());
            assertEquals(target, run.summary().target());
            assertEquals(3600, run.summary().scheduledMessages()); // 3000/s for 1.2 s
            assertEquals(run.summary().scheduledMessages(), run.summary().corrected().getTotalCount(), run.output());
            assertEquals(run.summary().scheduledMessages(), run.summary().uncorrected().getTotalCount());
            assertTrue(run.output().contains("protocol    " + (target.equals("nats") ? "core NATS" : "Redis pub/sub")),
                run.output());
            // Garbage-free: one object per message, even the smallest (16 bytes), would be 16 * 3600 bytes.
            assertTrue(run.summary().senderAllocatedBytes() >= 0 && run.summary().senderAllocatedBytes() < 16 * 1024,
                run.output());
            assertTrue(run.summary().receiverAllocatedBytes() >= 0 &&
                run.summary().receiverAllocatedBytes() < 16 * 1024, run.output());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nats", "redis"})
    @Timeout(30)
    void shouldDeliverEveryFanoutLineToEveryReceiverThroughOneSharedSubject(final String target) throws Exception
    {
        try (FakePubSubServer server = server(target, Fault.NONE))
        {
            final Run run = run(server, target, "--workload", "fanout", "--senders", "2", "--fanout", "4",
                "--rate", "1000", "--warmup", "200ms", "--duration", "800ms", "--quiet");

            assertEquals(LoadGen.EXIT_OK, run.result().exitCode(), run.output());
            assertCleanAndComplete(run.summary(), run.output());
            assertEquals(4 * run.counts().sentMessages(), run.counts().expectedDeliveries());
            assertEquals(4 * run.summary().scheduledMessages(), run.summary().corrected().getTotalCount());
            // One publish per line: the server routed K deliveries for each.
            assertEquals(4 * run.counts().sentMessages(), server.routed());
            assertTrue(run.output().contains("t-fanout"), run.output());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nats", "redis"})
    @Timeout(30)
    void shouldDeliverEveryFanoutLineWithOnePublishPerReceiver(final String target) throws Exception
    {
        try (FakePubSubServer server = server(target, Fault.NONE))
        {
            final Run run = run(server, target, "--workload", "fanout", "--senders", "2", "--fanout", "3",
                "--fanout-publish", "per-receiver", "--rate", "1000", "--warmup", "200ms", "--duration", "800ms",
                "--quiet");

            assertEquals(LoadGen.EXIT_OK, run.result().exitCode(), run.output());
            assertCleanAndComplete(run.summary(), run.output());
            assertEquals(3 * run.summary().scheduledMessages(), run.summary().corrected().getTotalCount());
            assertEquals(3 * run.counts().sentMessages(), server.routed());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nats", "redis"})
    @Timeout(30)
    void shouldRunPingPongWithOneMessageInFlight(final String target) throws Exception
    {
        try (FakePubSubServer server = server(target, Fault.NONE))
        {
            final Run run = run(server, target, "--workload", "pairs", "--pairs", "2", "--load", "ping-pong",
                "--warmup", "200ms", "--duration", "800ms", "--quiet");

            assertEquals(LoadGen.EXIT_OK, run.result().exitCode(), run.output());
            assertCleanAndComplete(run.summary(), run.output());
            assertTrue(run.summary().corrected().getTotalCount() > 100, run.output());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nats", "redis"})
    @Timeout(30)
    void shouldLoseNothingInMeshAtMaximumThroughput(final String target) throws Exception
    {
        try (FakePubSubServer server = server(target, Fault.NONE))
        {
            final Run run = run(server, target, "--workload", "mesh", "--peers", "5", "--load", "max",
                "--in-flight", "8", "--warmup", "200ms", "--duration", "800ms", "--quiet");

            assertEquals(LoadGen.EXIT_OK, run.result().exitCode(), run.output());
            assertCleanAndComplete(run.summary(), run.output());
            assertTrue(run.summary().corrected().getTotalCount() > 1000, run.output());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nats", "redis"})
    @Timeout(30)
    void shouldReportALostMessageAndExitNonZero(final String target) throws Exception
    {
        try (FakePubSubServer server = server(target, Fault.DROP))
        {
            final Run run = run(server, target, "--pairs", "2", "--rate", "1000", "--warmup", "100ms",
                "--duration", "400ms", "--drain-timeout", "300ms", "--quiet");

            assertEquals(1, server.faultsApplied());
            assertEquals(LoadGen.EXIT_MESSAGE_ERRORS, run.result().exitCode(), run.output());
            assertEquals(1, run.counts().lost(), run.output());
            assertEquals(0, run.counts().duplicated(), run.output());
            assertEquals(0, run.counts().outOfOrder(), run.output());
            assertEquals(0, run.counts().corrupt(), run.output());
            assertEquals(run.counts().expectedDeliveries() - 1, run.counts().received(), run.output());
            assertTrue(run.output().contains("FAILED (exit 1)"), run.output());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nats", "redis"})
    @Timeout(30)
    void shouldReportADuplicatedMessageAndExitNonZero(final String target) throws Exception
    {
        try (FakePubSubServer server = server(target, Fault.DUPLICATE))
        {
            final Run run = run(server, target, "--pairs", "2", "--rate", "1000", "--warmup", "100ms",
                "--duration", "400ms", "--drain-timeout", "300ms", "--quiet");

            assertEquals(1, server.faultsApplied());
            assertEquals(LoadGen.EXIT_MESSAGE_ERRORS, run.result().exitCode(), run.output());
            assertEquals(1, run.counts().duplicated(), run.output());
            assertEquals(0, run.counts().lost(), run.output());
            assertEquals(0, run.counts().outOfOrder(), run.output());
            assertEquals(run.counts().expectedDeliveries() + 1, run.counts().received(), run.output());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nats", "redis"})
    @Timeout(30)
    void shouldReportACorruptedMessageAndExitNonZero(final String target) throws Exception
    {
        try (FakePubSubServer server = server(target, Fault.CORRUPT))
        {
            final Run run = run(server, target, "--pairs", "2", "--rate", "1000", "--warmup", "100ms",
                "--duration", "400ms", "--drain-timeout", "300ms", "--message-bytes", "80", "--quiet");

            assertEquals(1, server.faultsApplied());
            assertEquals(LoadGen.EXIT_MESSAGE_ERRORS, run.result().exitCode(), run.output());
            assertEquals(1, run.counts().corrupt(), run.output());
            assertEquals(1, run.counts().lost(), run.output()); // its sequence cannot be trusted
            assertEquals(0, run.counts().duplicated(), run.output());
            assertTrue(run.output().contains("payload fails its checks"), run.output());
        }
    }

    @Test
    @Timeout(30)
    void shouldReportAPublishThatReachedTheWrongNumberOfRedisSubscribers() throws Exception
    {
        try (FakePubSubServer server = server("redis", Fault.WRONG_REACH))
        {
            final Run run = run(server, "redis", "--pairs", "2", "--rate", "1000", "--warmup", "100ms",
                "--duration", "400ms", "--drain-timeout", "300ms", "--quiet");

            assertEquals(1, server.faultsApplied());
            assertEquals(LoadGen.EXIT_MESSAGE_ERRORS, run.result().exitCode(), run.output());
            assertEquals(1, run.counts().errorLines(), run.output());
            assertEquals(0, run.counts().lost(), run.output());
            assertTrue(run.output().contains("reached 2 subscribers, expected 1"), run.output());
        }
    }

    @Test
    @Timeout(30)
    void shouldAnswerEveryNatsPingDuringRegistrationAndWhileMeasuring() throws Exception
    {
        try (FakeNatsServer server = new FakeNatsServer(Fault.NONE, -1, 300))
        {
            long pongsBefore = 0;
            // Open loop and closed loop: the sender thread writes the PONGs in both.
            for (final String load : new String[]{"open", "max"})
            {
                final long pingsBefore = server.pingsSent();
                pongsBefore = server.pongsReceived();
                final Run run = run(server, "nats", "--pairs", "2", "--load", load, "--rate", "1000",
                    "--warmup", "200ms", "--duration", "800ms", "--quiet");

                assertEquals(LoadGen.EXIT_OK, run.result().exitCode(), run.output());
                assertCleanAndComplete(run.summary(), run.output());
                // Four connections: one PING after each CONNECT, and one each per 300 routed messages.
                assertTrue(server.pingsSent() - pingsBefore >= 4 + 4 * 2, "pings " + server.pingsSent());
                // The sender thread writes the PONGs, so PINGs that come after it stopped (a last round for the
                // messages still in flight) go unanswered; the run is over then. Every earlier one is answered.
                final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (server.pongsReceived() < server.pingsSent() - 4 && System.nanoTime() - deadlineNs < 0)
                {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                }
                assertTrue(server.pongsReceived() >= server.pingsSent() - 4,
                    "PINGs " + server.pingsSent() + ", PONGs " + server.pongsReceived());
                assertTrue(server.pongsReceived() - pongsBefore >= 4 + 4, "answered while measuring too");
            }
        }
    }

    @Test
    @Timeout(30)
    void shouldFailRegistrationWhenTheServerDoesNotSpeakTheTargetsProtocol() throws Exception
    {
        try (FakeRedisServer redis = new FakeRedisServer(); FakeNatsServer nats = new FakeNatsServer())
        {
            final Run natsAtRedis = run(redis, "nats", "--pairs", "1", "--connect-timeout", "3s", "--quiet");
            assertEquals(LoadGen.EXIT_CONNECT, natsAtRedis.result().exitCode(), natsAtRedis.output());
            assertTrue(natsAtRedis.result().failure().contains("nats"), natsAtRedis.result().failure());

            final Run redisAtNats = run(nats, "redis", "--pairs", "1", "--connect-timeout", "3s", "--quiet");
            assertEquals(LoadGen.EXIT_CONNECT, redisAtNats.result().exitCode(), redisAtNats.output());
            assertTrue(redisAtNats.result().failure().contains("redis"), redisAtNats.result().failure());
        }
    }
}
