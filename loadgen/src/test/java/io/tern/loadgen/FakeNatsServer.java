/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen;

import java.io.IOException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A tiny core NATS server for tests: INFO on connect, CONNECT, SUB, UNSUB, PUB, PING and PONG; MSG to every
 * subscriber of the subject. Like nats-server it pings its clients: once after their CONNECT (during
 * registration), and every client again each time another {@code pingEveryRouted} messages have been routed (while
 * measuring); it counts the PONGs that come back.
 */
final class FakeNatsServer extends FakePubSubServer
{
    private final long pingEveryRouted;
    private final AtomicLong nextPingAtRouted;
    private final AtomicLong pingsSent = new AtomicLong();
    private final AtomicLong pongsReceived = new AtomicLong();

    /** A server that behaves and pings every client every 100 routed messages. */
    FakeNatsServer() throws IOException
    {
        this(Fault.NONE, -1, 100);
    }

    /**
     * @param fault        what to do to one message.
     * @param faultyIndex  which routed delivery (from 0, probes excluded) to do it to.
     * @param pingEveryRouted each time this many more deliveries were routed, PING every client (-1: never).
     */
    FakeNatsServer(final Fault fault, final long faultyIndex, final long pingEveryRouted) throws IOException
    {
        super(fault, faultyIndex, "fake-nats");
        this.pingEveryRouted = pingEveryRouted;
        this.nextPingAtRouted = new AtomicLong(pingEveryRouted);
    }

    long pingsSent()
    {
        return pingsSent.get();
    }

    long pongsReceived()
    {
        return pongsReceived.get();
    }

    @Override
    void serve(final Client client) throws IOException
    {
        client.write(ascii("INFO {\"server_id\":\"fake\",\"version\":\"0.0.0\",\"proto\":1,\"headers\":false," +
            "\"max_payload\":1048576}\r\n"));
        client.flush();
        for (String line = readLine(client.in); null != line; line = readLine(client.in))
        {
            final String[] words = line.trim().split("[ \t]+");
            switch (words[0].toUpperCase(java.util.Locale.ROOT))
            {
                case "CONNECT":
                    if (!line.contains("\"verbose\":false"))
                    {
                        client.write(ascii("-ERR 'this fake only speaks verbose=false'\r\n"));
                    }
                    pingsSent.incrementAndGet();
                    client.write(ascii("PING\r\n"));
                    break;
                case "SUB":
                    subscriptions.computeIfAbsent(words[1], k -> new CopyOnWriteArrayList<>())
                        .add(new Subscription(client, words[words.length - 1]));
                    break;
                case "UNSUB":
                    break;
                case "PING":
                    client.write(ascii("PONG\r\n"));
                    break;
                case "PONG":
                    pongsReceived.incrementAndGet();
                    break;
                case "PUB":
                {
                    final byte[] payload = readPayload(client.in, Integer.parseInt(words[words.length - 1]));
                    publish(words[1], payload);
                    final long pingAt = nextPingAtRouted.get();
                    if (pingEveryRouted > 0 && routed() >= pingAt &&
                        nextPingAtRouted.compareAndSet(pingAt, pingAt + pingEveryRouted))
                    {
                        for (final Client each : clients)
                        {
                            pingsSent.incrementAndGet();
                            each.write(ascii("PING\r\n"));
                        }
                    }
                    break;
                }
                default:
                    client.write(ascii("-ERR 'Unknown Protocol Operation'\r\n"));
                    client.flush();
                    return;
            }
            if (client.in.available() == 0)
            {
                flushAll();
            }
        }
    }

    @Override
    void deliver(final Subscription subscription, final String subject, final byte[] payload)
    {
        subscription.client().write(ascii("MSG " + subject + " " + subscription.sid() + " " + payload.length + "\r\n"),
            payload, ascii("\r\n"));
    }
}
