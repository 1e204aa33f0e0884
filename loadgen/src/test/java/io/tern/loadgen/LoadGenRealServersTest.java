/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen;

import io.tern.loadgen.report.RunSummary;
import io.tern.transport.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.tern.loadgen.LoadGenBrokerTest.assertCleanAndComplete;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The NATS and Redis adapters against the real servers, started here on free loopback ports, when they are installed
 * ({@code apt-get install nats-server redis-server}); skipped otherwise on a developer's machine, where
 * {@link LoadGenPubSubTest} still covers the adapters against in-test fakes. Under CI ({@code CI} set, as
 * {@code .ci/run} runs) a missing server is a failure, not a skip: {@code .ci/run} installs both.
 */
class LoadGenRealServersTest
{
    @TempDir
    Path dir;

    private static void assumeInstalled(final String command)
    {
        final boolean installed = ExternalServer.isInstalled(command);
        if (null != System.getenv("CI"))
        {
            assertTrue(installed, command + " is not installed, and CI must run this test (.ci/run installs it)");
        }
        assumeTrue(installed, command + " is not installed");
    }

    private static LoadGenResult run(final StringBuilder output, final String target, final int port,
        final String... args)
    {
        final String[] all = new String[args.length + 5];
        all[0] = "--target";
        all[1] = target;
        all[2] = "--port";
        all[3] = Integer.toString(port);
        all[4] = "--quiet";
        System.arraycopy(args, 0, all, 5, args.length);
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final LoadGenResult result = LoadGen.run(LoadGenOptions.parse(all),
            new PrintStream(bytes, true, StandardCharsets.UTF_8));
        output.append(bytes.toString(StandardCharsets.UTF_8));
        System.out.print(bytes.toString(StandardCharsets.UTF_8));
        return result;
    }

    @Test
    @Timeout(60)
    void shouldDeliverEveryMessageThroughARealNatsServerAndAnswerItsPings() throws Exception
    {
        assumeInstalled("nats-server");
        // Pings every 300 ms and gives up on a client after one unanswered: a run of 2.5 s fails unless the
        // loadgen answers every PING (the default is 2 minutes, with a first PING about 2 s after connecting).
        final Path config = dir.resolve("nats.conf");
        Files.writeString(config, "ping_interval: \"300ms\"\nping_max: 1\n");
        try (ExternalServer nats = ExternalServer.start("nats-server",
            port -> List.of("nats-server", "-a", "127.0.0.1", "-p", Integer.toString(port), "-c", config.toString()),
            dir))
        {
            final StringBuilder output = new StringBuilder();
            final LoadGenResult pairs = run(output, "nats", nats.port(), "--pairs", "4", "--rate", "4000",
                "--warmup", "500ms", "--duration", "2s");
            assertEquals(LoadGen.EXIT_OK, pairs.exitCode(), output + Files.readString(nats.log()));
            assertCleanAndComplete(pairs.summary(), output.toString());
            assertEquals(pairs.summary().scheduledMessages(), pairs.summary().corrected().getTotalCount());

            assertFanoutAndPingPongClean("nats", nats.port(), nats.log());
            assertIdlePeersAndBigMessagesClean("nats", nats.port(), nats.log());
        }
    }

    @Test
    @Timeout(60)
    void shouldDeliverEveryMessageAcrossTheNodesOfARealNatsServerCluster() throws Exception
    {
        assumeInstalled("nats-server");
        // Two nodes joined by a route; the second solicits the first. Interest crosses the route a little after
        // each node confirmed its own subscriptions, which the loadgen's registration must wait out.
        final int routePort = ExternalServer.freePort();
        try (ExternalServer first = ExternalServer.start("nats-node-0", port -> List.of("nats-server", "-a",
                "127.0.0.1", "-p", Integer.toString(port), "--cluster", "nats://127.0.0.1:" + routePort), dir);
            ExternalServer second = ExternalServer.start("nats-node-1", port -> List.of("nats-server", "-a",
                "127.0.0.1", "-p", Integer.toString(port), "--cluster", "nats://127.0.0.1:-1", "--routes",
                "nats://127.0.0.1:" + routePort), dir))
        {
            final String nodes = "127.0.0.1:" + first.port() + ",127.0.0.1:" + second.port();
            for (final String[] args : new String[][]{
                {"--pairs", "4", "--rate", "2000", "--warmup", "300ms", "--duration", "1s"},
                {"--pairs", "1", "--load", "ping-pong", "--warmup", "300ms", "--duration", "1s"},
                {"--workload", "fanout", "--senders", "1", "--fanout", "3", "--rate", "500", "--warmup", "300ms",
                    "--duration", "1s"}})
            {
                final String[] all = java.util.stream.Stream.concat(
                    java.util.stream.Stream.of("--target", "nats", "--nodes", nodes, "--quiet"),
                    java.util.Arrays.stream(args)).toArray(String[]::new);
                final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                final LoadGenResult result = LoadGen.run(LoadGenOptions.parse(all),
                    new PrintStream(bytes, true, StandardCharsets.UTF_8));
                final String output = bytes.toString(StandardCharsets.UTF_8);
                assertEquals(LoadGen.EXIT_OK, result.exitCode(), output + Files.readString(first.log()) +
                    Files.readString(second.log()));
                assertCleanAndComplete(result.summary(), output);
                assertTrue(result.summary().corrected().getTotalCount() > 100, output);
                assertTrue(output.contains("every message crosses nodes") ||
                    output.contains("every delivery crosses nodes"), output);
            }
        }
    }

    @Test
    @Timeout(60)
    void shouldDeliverEveryMessageThroughARealRedisServer() throws Exception
    {
        assumeInstalled("redis-server");
        try (ExternalServer redis = ExternalServer.start("redis-server",
            port -> List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--daemonize", "no"), dir))
        {
            final StringBuilder output = new StringBuilder();
            final LoadGenResult pairs = run(output, "redis", redis.port(), "--pairs", "4", "--rate", "4000",
                "--warmup", "500ms", "--duration", "1500ms");
            assertEquals(LoadGen.EXIT_OK, pairs.exitCode(), output + Files.readString(redis.log()));
            assertCleanAndComplete(pairs.summary(), output.toString());
            assertEquals(pairs.summary().scheduledMessages(), pairs.summary().corrected().getTotalCount());

            assertFanoutAndPingPongClean("redis", redis.port(), redis.log());
            assertIdlePeersAndBigMessagesClean("redis", redis.port(), redis.log());
        }
    }

    @Test
    @Timeout(120)
    void shouldDeliverEveryMessageThroughARealNatsServerOverTlsAndAnswerItsPings() throws Exception
    {
        assumeInstalled("nats-server");
        assumeInstalled("openssl");
        final TestCertificates certs = TestCertificates.make(dir, "ec");
        // TLS after the plain INFO line; PINGs every 300 ms, one unanswered ends the client: the PONGs go over TLS.
        final Path config = dir.resolve("nats-tls.conf");
        Files.writeString(config, "ping_interval: \"300ms\"\nping_max: 1\ntls {\n  cert_file: \"" +
            certs.serverCert + "\"\n  key_file: \"" + certs.serverKey + "\"\n}\n");
        try (ExternalServer nats = ExternalServer.start("nats-server-tls",
            port -> List.of("nats-server", "-a", "127.0.0.1", "-p", Integer.toString(port), "-c", config.toString()),
            dir))
        {
            assertCleanOverTls("nats", nats.port(), nats.log(), certs);
        }
    }

    @Test
    @Timeout(120)
    void shouldDeliverEveryMessageThroughARealRedisServerOverTls() throws Exception
    {
        assumeInstalled("redis-server");
        assumeInstalled("openssl");
        final TestCertificates certs = TestCertificates.make(dir, "ec");
        try (ExternalServer redis = ExternalServer.start("redis-server-tls",
            port -> List.of("redis-server", "--port", "0", "--tls-port", Integer.toString(port), "--tls-cert-file",
                certs.serverCert.toString(), "--tls-key-file", certs.serverKey.toString(), "--tls-ca-cert-file",
                certs.caCert.toString(), "--tls-auth-clients", "no", "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--daemonize", "no"), dir))
        {
            assertCleanOverTls("redis", redis.port(), redis.log(), certs);
        }
    }

    /**
     * Over TLS (the server speaks nothing else on that port, so a loadgen that ignored {@code --tls} fails at once):
     * pairs in an open loop, fanout, ping-pong, mesh and 60,000-byte messages all clean; then a loadgen that trusts
     * another CA is refused at the handshake, told to give the server's CA, and measures nothing.
     */
    private static void assertCleanOverTls(final String target, final int port, final Path log,
        final TestCertificates certs) throws Exception
    {
        final String ca = certs.caCert.toString();
        final StringBuilder output = new StringBuilder();
        final LoadGenResult pairs = run(output, target, port, "--tls", "--tls-ca", ca, "--pairs", "4", "--rate",
            "4000", "--warmup", "1s", "--duration", "2s");
        assertEquals(LoadGen.EXIT_OK, pairs.exitCode(), output + Files.readString(log));
        assertCleanAndComplete(pairs.summary(), output.toString());
        assertEquals(pairs.summary().scheduledMessages(), pairs.summary().corrected().getTotalCount());
        assertTrue(output.toString().contains("; over TLS"), output.toString());

        assertFanoutAndPingPongClean(target, port, log, "--tls", "--tls-ca", ca);

        final StringBuilder bigOutput = new StringBuilder();
        final LoadGenResult big = run(bigOutput, target, port, "--tls", "--tls-ca", ca, "--pairs", "2", "--load",
            "max", "--in-flight", "4", "--message-bytes", "60000", "--warmup", "300ms", "--duration", "1s");
        assertEquals(LoadGen.EXIT_OK, big.exitCode(), bigOutput + Files.readString(log));
        assertCleanAndComplete(big.summary(), bigOutput.toString());
        assertTrue(big.summary().corrected().getTotalCount() > 20, bigOutput.toString());

        final StringBuilder refusedOutput = new StringBuilder();
        final LoadGenResult refused = run(refusedOutput, target, port, "--tls", "--tls-ca",
            certs.otherCaCert.toString(), "--pairs", "1", "--duration", "1s");
        assertEquals(LoadGen.EXIT_CONNECT, refused.exitCode(), refusedOutput.toString());
        assertNull(refused.summary(), refusedOutput.toString());
        assertTrue(refusedOutput.toString().contains("give its CA with --tls-ca"), refusedOutput.toString());
    }

    /**
     * 200 idle peers (NATS: CONNECT, SUB, PING; Redis: SUBSCRIBE) beside a pairs workload, then idle peers alone
     * ({@code --workload none}), then 60,000-byte messages with 4 in flight per pair.
     */
    private static void assertIdlePeersAndBigMessagesClean(final String target, final int port, final Path log)
        throws Exception
    {
        final StringBuilder output = new StringBuilder();
        final LoadGenResult beside = run(output, target, port, "--idle-peers", "200", "--pairs", "2", "--rate",
            "1000", "--warmup", "300ms", "--duration", "1s");
        assertEquals(LoadGen.EXIT_OK, beside.exitCode(), output + Files.readString(log));
        assertCleanAndComplete(beside.summary(), output.toString());
        assertEquals(200, beside.idlePeers().count());
        assertTrue(beside.idlePeers().clean(), output.toString());
        assertTrue(beside.idlePeers().registerPeersPerSecond() > 0, output.toString());
        assertTrue(output.toString().contains("idle peers  200 registered in "), output.toString());

        final StringBuilder idleOutput = new StringBuilder();
        final LoadGenResult idle = run(idleOutput, target, port, "--idle-peers", "300", "--workload", "none",
            "--duration", "300ms");
        assertEquals(LoadGen.EXIT_OK, idle.exitCode(), idleOutput + Files.readString(log));
        assertEquals(300, idle.idlePeers().count());
        assertTrue(idle.idlePeers().clean(), idleOutput.toString());

        final StringBuilder bigOutput = new StringBuilder();
        final LoadGenResult big = run(bigOutput, target, port, "--pairs", "2", "--load", "max", "--in-flight", "4",
            "--message-bytes", "60000", "--warmup", "200ms", "--duration", "1s");
        assertEquals(LoadGen.EXIT_OK, big.exitCode(), bigOutput + Files.readString(log));
        assertCleanAndComplete(big.summary(), bigOutput.toString());
        assertTrue(big.summary().corrected().getTotalCount() > 20, bigOutput.toString());
        assertTrue(big.summary().payloadMegabytesPerSecond() > 0, bigOutput.toString());
    }

    private static void assertFanoutAndPingPongClean(final String target, final int port, final Path log,
        final String... extra) throws Exception
    {
        for (final String[] args : new String[][]{
            {"--workload", "fanout", "--senders", "1", "--fanout", "10", "--rate", "500", "--warmup", "300ms",
                "--duration", "1s"},
            {"--workload", "fanout", "--senders", "2", "--fanout", "3", "--fanout-publish", "per-receiver",
                "--rate", "500", "--warmup", "300ms", "--duration", "1s"},
            {"--workload", "pairs", "--pairs", "1", "--load", "ping-pong", "--warmup", "300ms", "--duration", "1s"},
            {"--workload", "mesh", "--peers", "4", "--load", "max", "--in-flight", "8", "--warmup", "300ms",
                "--duration", "1s"}})
        {
            final StringBuilder output = new StringBuilder();
            final String[] all = java.util.stream.Stream.concat(java.util.Arrays.stream(extra),
                java.util.Arrays.stream(args)).toArray(String[]::new);
            final LoadGenResult result = run(output, target, port, all);
            assertEquals(LoadGen.EXIT_OK, result.exitCode(), output + Files.readString(log));
            final RunSummary summary = result.summary();
            assertCleanAndComplete(summary, output.toString());
            assertTrue(summary.corrected().getTotalCount() > 100, output.toString());
        }
    }
}
