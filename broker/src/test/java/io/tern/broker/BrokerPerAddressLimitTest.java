/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The per-address connection limit: one host reconnecting as fast as it can holds at most its share of the slots, and
 * clients on other hosts still get in. Hosts are played by loopback addresses: the hog connects from 127.0.0.2, the
 * legitimate client from 127.0.0.1 (Linux routes all of 127/8 to loopback); loopback is exempt by default, so these
 * tests set {@code per-address-exempt none}.
 */
@Timeout(60)
class BrokerPerAddressLimitTest extends BrokerTestSupport
{
    private static final int MAX_CONNECTIONS = 24;
    private static final int PER_ADDRESS = 6;
    private static final int TRIES = 20;

    /**
     * The attack as reported: a client that reconnects at once kept a legitimate user out for 49 of 49 tries at
     * max-connections. Here the hog holds every connection it gets and opens new ones without pause; the legitimate
     * client must register on every one of its tries.
     */
    @Test
    void shouldLetALegitimateClientInEveryTimeWhileAnotherHostReconnectsWithoutPause() throws Exception
    {
        startBroker(limited(PER_ADDRESS));
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong hogConnects = new AtomicLong();
        final Future<?> hog = executor.submit(() -> hog(InetAddress.getByName("127.0.0.2"), stop, hogConnects));
        try
        {
            awaitCondition("the hog to hold its share", Duration.ofSeconds(10),
                () -> broker.connectionsOpen() >= PER_ADDRESS && hogConnects.get() > 2L * MAX_CONNECTIONS);
            final List<String> refused = new ArrayList<>();
            for (int i = 0; i < TRIES; i++)
            {
                final String outcome = tryToRegister("legit" + i);
                if (null != outcome)
                {
                    refused.add("try " + i + ": " + outcome);
                }
            }
            assertEquals(List.of(), refused, "legitimate tries refused, of " + TRIES + ", while the hog made " +
                hogConnects.get() + " connections");
            assertTrue(broker.connectionsOpen() <= PER_ADDRESS + 1, "open: " + broker.connectionsOpen());
        }
        finally
        {
            stop.set(true);
            join(hog, Duration.ofSeconds(10), "the hog");
        }
    }

    @Test
    void shouldRefuseTheConnectionOverThePerAddressLimitWithAnErrorLine() throws Exception
    {
        startBroker(limited(2));
        final InetAddress host = InetAddress.getByName("127.0.0.2");
        final LineClient first = track(LineClient.connectFrom(address, host, clientTimeout)).name("first");
        final LineClient second = track(LineClient.connectFrom(address, host, clientTimeout)).name("second");
        first.send("first");
        second.send("second");
        assertNextLineIsProbe(first, first); // each registered: a self-probe comes back
        assertNextLineIsProbe(second, second);

        final LineClient third = track(LineClient.connectFrom(address, host, clientTimeout));
        third.send("third");
        assertEquals(List.of("error: too many connections from your address"), third.awaitClosed());

        // Another host is not affected, and a slot freed on the first host can be taken again.
        final LineClient other = track(LineClient.connectFrom(address, InetAddress.getByName("127.0.0.3"),
            clientTimeout)).name("other");
        other.send("other");
        assertNextLineIsProbe(other, other);
        assertNextLineIsProbe(other, first);
        first.close();
        awaitCondition("the first host's slot to free up", Duration.ofSeconds(10), () ->
        {
            try
            {
                final String name = "again" + System.nanoTime();
                final LineClient again = track(LineClient.connectFrom(address, host, clientTimeout)).name(name);
                again.send(name);
                assertNextLineIsProbe(again, again);
                return true;
            }
            catch (final AssertionError | IOException ex)
            {
                return false;
            }
        });
    }

    /** Local tools, tests and the loadgen open many loopback connections: by default loopback is not held to it. */
    @Test
    void shouldNotHoldLoopbackToTheLimitByDefault() throws Exception
    {
        startBroker(new BrokerConfig().maxConnections(MAX_CONNECTIONS).maxConnectionsPerAddress(1));
        final LineClient a = register("a");
        final LineClient b = register("b");
        final LineClient c = register("c");
        a.send("b, c: hi");
        b.expectLine("from a: hi");
        c.expectLine("from a: hi");
    }

    @Test
    void shouldDefaultToAQuarterOfMaxConnectionsWithLoopbackExempt()
    {
        final BrokerConfig byDefault = new BrokerConfig().conclude();
        assertEquals(25_000, byDefault.get(Settings.MAX_CONNECTIONS_PER_ADDRESS));
        assertTrue(byDefault.transportSettings().loopbackExempt());
        assertTrue(byDefault.describe().contains(" max-connections-per-address=25000 per-address-exempt=loopback "),
            byDefault.describe());
        assertEquals(1, new BrokerConfig().maxConnections(3).conclude().get(Settings.MAX_CONNECTIONS_PER_ADDRESS));
        assertEquals(7, new BrokerConfig().maxConnectionsPerAddress(7).conclude()
            .get(Settings.MAX_CONNECTIONS_PER_ADDRESS));
    }

    private static BrokerConfig limited(final int perAddress)
    {
        return new BrokerConfig()
            .maxConnections(MAX_CONNECTIONS)
            .maxConnectionsPerAddress(perAddress)
            .set(Settings.PER_ADDRESS_EXEMPT, BrokerConfig.AddressExemption.NONE)
            .nameTimeoutMs(60_000); // the hog's connections stay until it closes them
    }

    /** @return null once registered and confirmed, else what the broker said. */
    private String tryToRegister(final String name) throws IOException
    {
        try (LineClient client = LineClient.connectFrom(address, InetAddress.getByName("127.0.0.1"), clientTimeout))
        {
            final String probe = nextProbe();
            client.send(name + "\n" + name + ": " + probe);
            final String first = client.readLineOrEof(clientTimeout);
            return ("from " + name + ": " + probe).equals(first) ? null : String.valueOf(first);
        }
    }

    /**
     * Connects from {@code host} again and again, never sending anything, holding the last connections made (those
     * the broker accepted stay open), as a client that reconnects at once does.
     */
    private Void hog(final InetAddress host, final AtomicBoolean stop, final AtomicLong connects) throws IOException
    {
        final ArrayDeque<LineClient> held = new ArrayDeque<>();
        try
        {
            while (!stop.get())
            {
                try
                {
                    held.addLast(LineClient.connectFrom(address, host, clientTimeout));
                    connects.incrementAndGet();
                }
                catch (final IOException ex)
                {
                    // The backlog may be full for a moment: try again.
                }
                if (held.size() > 4 * MAX_CONNECTIONS)
                {
                    held.removeFirst().close();
                }
                // Pacing, not synchronisation: keeps the hog from taking a whole core of this 2-core machine.
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
            }
        }
        finally
        {
            for (final LineClient client : held)
            {
                client.close();
            }
        }
        return null;
    }
}
