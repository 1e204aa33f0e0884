/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen;

import io.tern.broker.Broker;
import io.tern.broker.BrokerConfig;
import io.tern.loadgen.report.RunSummary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A broker that loses, duplicates, corrupts or reorders one message, or disconnects a peer, must make the loadgen
 * say so and exit non-zero; so must a broker that cannot be reached or will not register the peers. A real broker
 * never does the first five on demand, so a {@link FakeBroker} does them; a name already taken is the real broker's
 * refusal.
 */
class LoadGenErrorsTest
{
    /** The routed delivery the fake broker misbehaves on: well inside the measured period. */
    private static final long FAULTY_INDEX = 150;

    private static RunResult runAgainst(final FakeBroker broker, final String... extra)
    {
        final String[] base = {"--port", Integer.toString(broker.port()), "--workload", "pairs", "--pairs", "2",
            "--rate", "1000", "--warmup", "100ms", "--duration", "400ms", "--drain-timeout", "300ms",
            "--name-prefix", "t-", "--quiet"};
        final String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        final ByteArrayOutputStream output = new ByteArrayOutputStream();
        final LoadGenResult result = LoadGen.run(LoadGenOptions.parse(args),
            new PrintStream(output, true, StandardCharsets.UTF_8));
        final String text = output.toString(StandardCharsets.UTF_8);
        System.out.print(text);
        return new RunResult(result, text);
    }

    private record RunResult(LoadGenResult result, String output)
    {
        RunSummary.Counts counts()
        {
            return result.summary().counts();
        }
    }

    @Test
    @Timeout(30)
    void shouldReportALostMessageAndExitNonZero() throws Exception
    {
        try (FakeBroker broker = new FakeBroker(FakeBroker.Fault.DROP, FAULTY_INDEX))
        {
            final RunResult run = runAgainst(broker);

            assertEquals(1, broker.faultsApplied());
            assertEquals(LoadGen.EXIT_MESSAGE_ERRORS, run.result().exitCode(), run.output());
            assertEquals(1, run.counts().lost(), run.output());
            assertEquals(0, run.counts().duplicated(), run.output());
            assertEquals(0, run.counts().outOfOrder(), run.output());
            assertEquals(0, run.counts().corrupt(), run.output());
            assertEquals(run.counts().expectedDeliveries() - 1, run.counts().received(), run.output());
            assertFalse(run.result().summary().ok());
            assertTrue(run.output().contains("lost 1;"), run.output());
            assertTrue(run.output().contains("FAILED (exit 1)"), run.output());
        }
    }

    @Test
    @Timeout(30)
    void shouldReportADuplicatedMessageAndExitNonZero() throws Exception
    {
        try (FakeBroker broker = new FakeBroker(FakeBroker.Fault.DUPLICATE, FAULTY_INDEX))
        {
            final RunResult run = runAgainst(broker);

            assertEquals(1, broker.faultsApplied());
            assertEquals(LoadGen.EXIT_MESSAGE_ERRORS, run.result().exitCode(), run.output());
            assertEquals(1, run.counts().duplicated(), run.output());
            assertEquals(0, run.counts().lost(), run.output());
            assertEquals(0, run.counts().outOfOrder(), run.output());
            assertEquals(run.counts().expectedDeliveries() + 1, run.counts().received(), run.output());
        }
    }

    @Test
    @Timeout(30)
    void shouldReportACorruptedMessageAndExitNonZero() throws Exception
    {
        try (FakeBroker broker = new FakeBroker(FakeBroker.Fault.CORRUPT, FAULTY_INDEX))
        {
            final RunResult run = runAgainst(broker, "--message-bytes", "80");

            assertEquals(1, broker.faultsApplied());
            assertEquals(LoadGen.EXIT_MESSAGE_ERRORS, run.result().exitCode(), run.output());
            assertEquals(1, run.counts().corrupt(), run.output());
            // The corrupt message's sequence cannot be trusted, so that message also counts as not delivered.
            assertEquals(1, run.counts().lost(), run.output());
            assertEquals(0, run.counts().duplicated(), run.output());
            assertEquals(0, run.counts().outOfOrder(), run.output());
            assertTrue(run.output().contains("payload fails its checks"), run.output());
        }
    }

    @Test
    @Timeout(30)
    void shouldReportAMessageDeliveredOutOfOrderAndExitNonZero() throws Exception
    {
        try (FakeBroker broker = new FakeBroker(FakeBroker.Fault.SWAP_WITH_NEXT, FAULTY_INDEX))
        {
            final RunResult run = runAgainst(broker);

            assertEquals(1, broker.faultsApplied());
            assertEquals(LoadGen.EXIT_MESSAGE_ERRORS, run.result().exitCode(), run.output());
            assertEquals(1, run.counts().outOfOrder(), run.output());
            assertEquals(0, run.counts().lost(), run.output());
            assertEquals(0, run.counts().duplicated(), run.output());
            assertEquals(run.counts().expectedDeliveries(), run.counts().received(), run.output());
        }
    }

    @Test
    @Timeout(30)
    void shouldReportASlowConsumerDisconnectAndExitNonZero() throws Exception
    {
        try (FakeBroker broker = new FakeBroker(FakeBroker.Fault.SLOW_CONSUMER, FAULTY_INDEX))
        {
            final RunResult run = runAgainst(broker);

            assertEquals(LoadGen.EXIT_MESSAGE_ERRORS, run.result().exitCode(), run.output());
            // The slow-consumer error, then 'no peer' errors to its sender for the messages that follow.
            assertTrue(run.counts().errorLines() >= 1, run.output());
            assertEquals(1, run.counts().disconnects(), run.output());
            assertTrue(run.counts().lost() > 0, run.output());
            assertTrue(run.output().contains("error: slow consumer"), run.output());
        }
    }

    @Test
    @Timeout(30)
    void shouldExitZeroWithAllowErrorsButStillReportTheLoss() throws Exception
    {
        try (FakeBroker broker = new FakeBroker(FakeBroker.Fault.DROP, FAULTY_INDEX))
        {
            final RunResult run = runAgainst(broker, "--allow-errors");

            assertEquals(LoadGen.EXIT_OK, run.result().exitCode(), run.output());
            assertEquals(1, run.counts().lost(), run.output());
            assertTrue(run.output().contains("ERRORS ALLOWED (exit 0)"), run.output());
        }
    }

    @Test
    @Timeout(30)
    void shouldExitNonZeroFromTheCommandLineWhenAMessageIsLost() throws Exception
    {
        try (FakeBroker broker = new FakeBroker(FakeBroker.Fault.DROP, FAULTY_INDEX))
        {
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            final ByteArrayOutputStream err = new ByteArrayOutputStream();
            final int exitCode = LoadGenMain.execute(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                "--port", Integer.toString(broker.port()), "--pairs", "1", "--rate", "1000", "--warmup", "0",
                "--duration", "400ms", "--drain-timeout", "300ms", "--name-prefix", "t-", "--quiet");

            assertEquals(LoadGen.EXIT_MESSAGE_ERRORS, exitCode, out.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    @Timeout(30)
    void shouldExitWithConnectFailureWhenNothingListens() throws Exception
    {
        final int port;
        try (ServerSocket socket = new ServerSocket())
        {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            port = socket.getLocalPort();
        }
        final ByteArrayOutputStream output = new ByteArrayOutputStream();
        final LoadGenResult result = LoadGen.run(LoadGenOptions.parse("--port", Integer.toString(port),
            "--connect-timeout", "2s"), new PrintStream(output, true, StandardCharsets.UTF_8));

        assertEquals(LoadGen.EXIT_CONNECT, result.exitCode(), output.toString(StandardCharsets.UTF_8));
        assertNull(result.summary());
        assertTrue(result.failure().contains("cannot connect peer"), result.failure());
    }

    @Test
    @Timeout(30)
    void shouldExitWithConnectFailureWhenANameIsTaken() throws Exception
    {
        try (Broker broker = Broker.launch(new BrokerConfig().port(0));
            Socket squatter = new Socket(broker.localAddress().getAddress(), broker.localAddress().getPort()))
        {
            final OutputStream out = squatter.getOutputStream();
            out.write("t-1\nt-1: probe\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            squatter.getInputStream().read(); // the probe's echo: t-1 is registered now

            final ByteArrayOutputStream output = new ByteArrayOutputStream();
            final LoadGenResult result = LoadGen.run(LoadGenOptions.parse(
                "--host", broker.localAddress().getAddress().getHostAddress(),
                "--port", Integer.toString(broker.localAddress().getPort()), "--pairs", "1", "--name-prefix", "t-"),
                new PrintStream(output, true, StandardCharsets.UTF_8));

            assertEquals(LoadGen.EXIT_CONNECT, result.exitCode(), output.toString(StandardCharsets.UTF_8));
            assertTrue(result.failure().contains("already has a peer named t-1"), result.failure());
        }
    }

    @Test
    @Timeout(30)
    void shouldTimeOutRegistrationWhenTheServerNeverAnswersProbes() throws Exception
    {
        try (ServerSocket silent = new ServerSocket())
        {
            silent.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
            // The kernel completes the connections from the backlog; nothing is ever read or answered.
            final ByteArrayOutputStream output = new ByteArrayOutputStream();
            final long startNs = System.nanoTime();
            final LoadGenResult result = LoadGen.run(LoadGenOptions.parse("--port",
                Integer.toString(silent.getLocalPort()), "--pairs", "1", "--connect-timeout", "500ms"),
                new PrintStream(output, true, StandardCharsets.UTF_8));

            assertEquals(LoadGen.EXIT_CONNECT, result.exitCode(), output.toString(StandardCharsets.UTF_8));
            assertTrue(result.failure().contains("registration timed out: 0 of 2 peers"), result.failure());
            assertTrue(System.nanoTime() - startNs < 5_000_000_000L, "gave up near its deadline");
        }
    }
}
