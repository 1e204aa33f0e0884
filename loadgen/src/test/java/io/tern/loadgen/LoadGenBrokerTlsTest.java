/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen;

import io.tern.broker.Broker;
import io.tern.broker.BrokerConfig;
import io.tern.broker.Settings;
import io.tern.loadgen.report.RunSummary;
import io.tern.transport.TestCertificates;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static io.tern.loadgen.LoadGenBrokerTest.assertCleanAndComplete;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The loadgen over TLS against a real in-process tern broker's TLS port (certificates made with openssl in the test's
 * directory). The broker's TLS port speaks nothing but TLS, so a loadgen that ignored {@code --tls} would fail at
 * once; the plain port of the same broker is left unused.
 */
class LoadGenBrokerTlsTest
{
    @TempDir
    Path dir;

    private TestCertificates certs;
    private Broker broker;

    @BeforeEach
    void launchBroker() throws Exception
    {
        final boolean installed = ExternalServer.isInstalled("openssl");
        if (null != System.getenv("CI"))
        {
            assertTrue(installed, "openssl is not installed, and CI must run this test (.ci/run installs it)");
        }
        assumeTrue(installed, "openssl is not installed");
        certs = TestCertificates.make(dir, "ec");
        broker = Broker.launch(new BrokerConfig().port(0)
            .set(Settings.TLS_PORT, 0)
            .set(Settings.TLS_CERT, certs.serverCert)
            .set(Settings.TLS_KEY, certs.serverKey));
    }

    @AfterEach
    void closeBroker()
    {
        if (null != broker)
        {
            broker.close();
        }
    }

    private LoadGenResult run(final StringBuilder output, final String... args)
    {
        final String[] all = new String[args.length + 2];
        all[0] = "--tls";
        all[1] = "--quiet";
        System.arraycopy(args, 0, all, 2, args.length);
        return LoadGenBrokerTest.runAgainst(broker.tlsAddress(), output, all);
    }

    @Test
    @Timeout(120)
    void shouldLoseNothingOverTlsInEveryWorkloadAndLoadModel()
    {
        final String ca = certs.caCert.toString();
        for (final String[] args : new String[][]{
            {"--pairs", "4", "--rate", "4000", "--warmup", "1s", "--duration", "2s"},
            {"--workload", "fanout", "--senders", "1", "--fanout", "10", "--rate", "500", "--warmup", "300ms",
                "--duration", "1s"},
            {"--pairs", "1", "--load", "ping-pong", "--warmup", "300ms", "--duration", "1s"},
            {"--pairs", "1", "--load", "ping-pong", "--client-threads", "1", "--warmup", "300ms", "--duration", "1s"},
            {"--workload", "mesh", "--peers", "4", "--load", "max", "--in-flight", "8", "--warmup", "300ms",
                "--duration", "1s"},
            {"--pairs", "10", "--load", "max", "--in-flight", "1000", "--warmup", "300ms", "--duration", "1s"},
            {"--pairs", "2", "--load", "max", "--in-flight", "4", "--message-bytes", "60000", "--warmup", "300ms",
                "--duration", "1s"}})
        {
            final StringBuilder output = new StringBuilder();
            final String[] withCa = new String[args.length + 2];
            withCa[0] = "--tls-ca";
            withCa[1] = ca;
            System.arraycopy(args, 0, withCa, 2, args.length);
            final LoadGenResult result = run(output, withCa);
            assertEquals(LoadGen.EXIT_OK, result.exitCode(), output.toString());
            final RunSummary summary = result.summary();
            assertCleanAndComplete(summary, output.toString());
            assertTrue(summary.corrected().getTotalCount() > 20, output.toString());
            assertTrue(output.toString().contains("; TLS session TLSv1."), output.toString());
        }
        assertEquals(0, broker.slowConsumerDisconnects());
    }

    @Test
    @Timeout(60)
    void shouldRefuseAServerWhoseCertificateItDoesNotTrustBeforeMeasuring()
    {
        final StringBuilder output = new StringBuilder();
        final LoadGenResult result = run(output, "--tls-ca", certs.otherCaCert.toString(), "--pairs", "2",
            "--duration", "1s");
        assertEquals(LoadGen.EXIT_CONNECT, result.exitCode(), output.toString());
        assertNull(result.summary(), output.toString());
        assertTrue(output.toString().contains("give its CA with --tls-ca"), output.toString());
    }
}
