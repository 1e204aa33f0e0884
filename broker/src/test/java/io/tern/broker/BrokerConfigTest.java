/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static io.tern.broker.Settings.FLUSH_TIMEOUT_MS;
import static io.tern.broker.Settings.MAX_LINE_BYTES;
import static io.tern.broker.Settings.MAX_NAME_BYTES;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Settings are validated once, by {@link BrokerConfig#conclude()}, with {@code --name=value: reason} messages; a
 * broker never starts on a bad setting.
 */
class BrokerConfigTest
{
    @Test
    @Timeout(10)
    void shouldAcceptTheDefaults()
    {
        final BrokerConfig config = new BrokerConfig().conclude();

        assertEquals(65536, config.get(MAX_LINE_BYTES));
        assertEquals(64, config.get(MAX_NAME_BYTES));
        assertEquals(2000, config.get(FLUSH_TIMEOUT_MS));
    }

    @Test
    @Timeout(10)
    void shouldAcceptTheSmallSettingsTheTestsUse()
    {
        assertDoesNotThrow(() -> new BrokerConfig().port(0).maxLineBytes(1024).maxQueuedBytesPerPeer(65536)
            .ringSize(1024).maxNameBytes(8).flushTimeoutMs(500).conclude());
    }

    @Test
    @Timeout(10)
    void shouldRejectRingSizeThatIsNotAPowerOfTwo()
    {
        assertRejected(new BrokerConfig().ringSize(1000), "--ring-size=1000: ", "power of two");
    }

    @Test
    @Timeout(10)
    void shouldRejectPortAboveTheTcpRange()
    {
        assertRejected(new BrokerConfig().port(70000), "--port=70000: ", "65535");
    }

    @Test
    @Timeout(10)
    void shouldRejectNegativePort()
    {
        assertRejected(new BrokerConfig().port(-1), "--port=-1: ", "");
    }

    @Test
    @Timeout(10)
    void shouldRejectAPerPeerBoundTooSmallForTheLargestMessage()
    {
        // A 65536-byte line becomes a 65536 + "from <64-byte name>: \n" message: two of them need more than 128 KiB.
        assertRejected(new BrokerConfig().maxLineBytes(65536).maxQueuedBytesPerPeer(65536),
            "--max-queued-bytes-per-peer=65536: ", "max-line-bytes=65536");
    }

    @Test
    @Timeout(10)
    void shouldAcceptAPerPeerBoundThatIsNotAPowerOfTwo()
    {
        // A limit, not an allocation: any number of bytes will do.
        assertDoesNotThrow(() -> new BrokerConfig().maxQueuedBytesPerPeer(300000).conclude());
    }

    @Test
    @Timeout(10)
    void shouldRejectAPerPeerBoundBelowItsRange()
    {
        assertRejected(new BrokerConfig().maxQueuedBytesPerPeer(1000), "--max-queued-bytes-per-peer=1000: ", "1024");
    }

    @Test
    @Timeout(10)
    void shouldRejectAnOutboundBudgetAboveTheJvmsDirectMemory()
    {
        final long tooMuch = BrokerConfig.maxDirectMemoryBytes() + 1;
        assertRejected(new BrokerConfig().outboundBudgetBytes(tooMuch), "--outbound-budget-bytes=" + tooMuch + ": ",
            "-XX:MaxDirectMemorySize");
    }

    @Test
    @Timeout(10)
    void shouldRejectAnOutboundBudgetTooSmallForTheLargestMessage()
    {
        assertRejected(new BrokerConfig().maxLineBytes(65536).outboundBudgetBytes(200_000),
            "--outbound-budget-bytes=200000: ", "4 x the largest message");
    }

    @Test
    @Timeout(10)
    void shouldFitTheDefaultOutboundBudgetToTheJvmsDirectMemory()
    {
        final BrokerConfig config = new BrokerConfig().conclude();
        assertTrue(config.get(Settings.OUTBOUND_BUDGET_BYTES) <= BrokerConfig.maxDirectMemoryBytes() / 2,
            "default budget " + config.get(Settings.OUTBOUND_BUDGET_BYTES));
    }

    @Test
    @Timeout(10)
    void shouldRejectValueThatIsNotANumber()
    {
        assertRejected(new BrokerConfig().set("readers", "two"), "--readers=two: ", "");
    }

    @Test
    @Timeout(10)
    void shouldRejectZeroMaxNameBytes()
    {
        assertRejected(new BrokerConfig().maxNameBytes(0), "--max-name-bytes=0: ", "");
    }

    @Test
    @Timeout(10)
    void shouldRejectUnknownOptionByName()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> new BrokerConfig().set("no-such-option", "1"));
        assertTrue(ex.getMessage().contains("no-such-option"), ex.getMessage());
    }

    @Test
    @Timeout(10)
    void shouldRefuseToLaunchWithBadSettings()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> Broker.launch(new BrokerConfig().port(0).ringSize(1000)).close());
        assertTrue(ex.getMessage().startsWith("--ring-size=1000: "), ex.getMessage());
    }

    @Test
    void shouldRefuseToExposeTheBrokerBeyondLoopbackUnlessToldTo() throws Exception
    {
        final java.nio.file.Path users = java.nio.file.Files.createTempFile("tern-users", ".txt");
        users.toFile().deleteOnExit();
        assertRejected(new BrokerConfig().bind("0.0.0.0"), "--bind=0.0.0.0: ", "--exposure allow");
        assertRejected(new BrokerConfig().adminBind("0.0.0.0"), "--admin-bind=0.0.0.0: ", "--exposure allow");

        assertDoesNotThrow(() -> new BrokerConfig().bind("127.0.0.1").conclude());
        assertDoesNotThrow(() -> new BrokerConfig().bind("localhost").adminBind("::1").conclude());
        assertDoesNotThrow(() -> new BrokerConfig().bind("0.0.0.0").authFile(users).conclude()); // authentication on
        assertDoesNotThrow(() -> new BrokerConfig().adminBind("0.0.0.0").adminPort(-1).conclude()); // admin off
        // A token alone is not enough: without TLS it crosses the network in clear (BrokerTlsTest has both together).
        assertRejected(new BrokerConfig().adminBind("0.0.0.0").set(Settings.ADMIN_TOKEN_FILE, users),
            "--admin-bind=0.0.0.0: ", "--admin-tls");
        assertDoesNotThrow(() -> new BrokerConfig().bind("0.0.0.0").adminBind("0.0.0.0")
            .set(Settings.EXPOSURE, BrokerConfig.Exposure.ALLOW).conclude());
    }

    private static void assertRejected(final BrokerConfig config, final String prefix, final String mentions)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, config::conclude);
        final String message = ex.getMessage();
        assertTrue(message.startsWith(prefix), () -> "message should start with '" + prefix + "': " + message);
        assertTrue(message.length() > prefix.length(), () -> "message should give a reason: " + message);
        assertTrue(message.contains(mentions), () -> "message should mention '" + mentions + "': " + message);
    }
}
