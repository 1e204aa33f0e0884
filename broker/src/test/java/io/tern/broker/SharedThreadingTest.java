/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --threading shared}: the reader, the broker and the writer duties on one thread. The protocol tests run at
 * the default; these check what is particular to the shared thread.
 */
@Timeout(60)
class SharedThreadingTest extends BrokerTestSupport
{
    private static Set<String> brokerThreadNames()
    {
        final Set<String> names = new TreeSet<>();
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            final String name = thread.getName();
            if (name.equals("shared") || name.equals("broker") || name.startsWith("reader-") ||
                name.startsWith("writer-") || name.equals("acceptor"))
            {
                names.add(name);
            }
        }
        return names;
    }

    @Test
    void shouldRunReaderBrokerAndWriterOnOneThread() throws Exception
    {
        startBroker(new BrokerConfig().threading("shared"));
        final LineClient alice = register("alice");
        final LineClient bob = register("bob");
        alice.send("bob: hi");
        bob.expectLine("from alice: hi");
        assertEquals(Set.of("acceptor", "shared"), brokerThreadNames());
    }

    @Test
    void shouldCutASlowConsumerWhileOthersCarryOn() throws Exception
    {
        startBroker(new BrokerConfig().threading("shared").maxLineBytes(1024).maxQueuedBytesPerPeer(64 * 1024));
        final LineClient slow = register("slow", 4096); // never reads
        final LineClient flooder = register("flooder");
        final LineClient alice = register("alice");
        final String line = "slow: " + "x".repeat(900);
        final StringBuilder burst = new StringBuilder();
        for (int i = 0; i < 200; i++)
        {
            burst.append(line).append('\n');
        }
        final byte[] bytes = utf8(burst.toString());
        awaitCondition("the slow consumer to be cut", Duration.ofSeconds(30), () ->
        {
            try
            {
                flooder.sendRaw(bytes);
            }
            catch (final Exception ex)
            {
                throw new AssertionError(ex);
            }
            return broker.slowConsumerDisconnects() == 1;
        });
        alice.send("alice: still fine");
        alice.expectLine("from alice: still fine");
        slow.awaitClosed(Duration.ofSeconds(10));
    }

    @Test
    void shouldRefuseSharedWithMoreThanOneReaderOrWriter()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> new BrokerConfig().threading("shared").readers(2).conclude());
        assertTrue(ex.getMessage().startsWith("--threading=shared: "), ex.getMessage());
    }

    @Test
    void shouldRefuseAWaitStrategyTheSharedThreadWouldIgnore()
    {
        final IllegalArgumentException explicit = assertThrows(IllegalArgumentException.class,
            () -> Broker.launch(new BrokerConfig().port(0).threading("shared").set("wait-strategy", "yielding")));
        assertEquals("--wait-strategy=yielding: only used with --threading dedicated", explicit.getMessage());

        // auto with one reader and one writer resolves to shared: the same refusal.
        final IllegalArgumentException auto = assertThrows(IllegalArgumentException.class,
            () -> Broker.launch(new BrokerConfig().port(0).set("wait-strategy", "busy-spin")));
        assertEquals("--wait-strategy=busy-spin: only used with --threading dedicated", auto.getMessage());
    }

    @Test
    void shouldTakeAWaitStrategyWithDedicatedThreads() throws Exception
    {
        startBroker(new BrokerConfig().threading("dedicated").set("wait-strategy", "yielding"));
        final LineClient alice = register("alice");
        alice.send("alice: hi");
        alice.expectLine("from alice: hi");
        assertTrue(brokerThreadNames().contains("broker"), brokerThreadNames().toString());
    }
}
