/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A tiny Redis for tests: RESP2 commands SUBSCRIBE, PUBLISH and PING, and pub/sub messages to every subscriber of
 * the channel; a connection that has subscribed may not publish, as in Redis.
 */
final class FakeRedisServer extends FakePubSubServer
{
    /** A server that behaves. */
    FakeRedisServer() throws IOException
    {
        this(Fault.NONE, -1);
    }

    /**
     * @param fault       what to do to one message.
     * @param faultyIndex which routed delivery (from 0, probes excluded) to do it to.
     */
    FakeRedisServer(final Fault fault, final long faultyIndex) throws IOException
    {
        super(fault, faultyIndex, "fake-redis");
    }

    @Override
    void serve(final Client client) throws IOException
    {
        boolean subscribed = false;
        int channels = 0;
        for (byte[][] command = readCommand(client.in); null != command; command = readCommand(client.in))
        {
            final String name = new String(command[0], StandardCharsets.US_ASCII).toUpperCase(Locale.ROOT);
            if (name.equals("SUBSCRIBE"))
            {
                subscribed = true;
                for (int i = 1; i < command.length; i++)
                {
                    final String channel = new String(command[i], StandardCharsets.US_ASCII);
                    subscriptions.computeIfAbsent(channel, k -> new CopyOnWriteArrayList<>())
                        .add(new Subscription(client, ""));
                    client.write(ascii("*3\r\n$9\r\nsubscribe\r\n" + bulkHeader(command[i].length) + channel +
                        "\r\n:" + ++channels + "\r\n"));
                }
            }
            else if (subscribed)
            {
                client.write(ascii("-ERR Can't execute '" + name.toLowerCase(Locale.ROOT) + "': only (P|S)SUBSCRIBE " +
                    "/ (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"));
            }
            else if (name.equals("PUBLISH") && command.length == 3)
            {
                final int reached = publish(new String(command[1], StandardCharsets.US_ASCII), command[2]);
                client.write(ascii(":" + reached + "\r\n"));
            }
            else if (name.equals("PING"))
            {
                client.write(ascii("+PONG\r\n"));
            }
            else
            {
                client.write(ascii("-ERR unknown command '" + name.toLowerCase(Locale.ROOT) + "'\r\n"));
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
        subscription.client().write(ascii("*3\r\n$7\r\nmessage\r\n" + bulkHeader(subject.length()) + subject + "\r\n" +
            bulkHeader(payload.length)), payload, ascii("\r\n"));
    }

    private static String bulkHeader(final int length)
    {
        return "$" + length + "\r\n";
    }

    /** @return the bulk strings of one RESP array command, or null at end of stream. */
    private static byte[][] readCommand(final InputStream in) throws IOException
    {
        final String head = readLine(in);
        if (null == head)
        {
            return null;
        }
        if (!head.startsWith("*"))
        {
            throw new IOException("not a RESP array: " + head);
        }
        final byte[][] parts = new byte[Integer.parseInt(head.substring(1))][];
        for (int i = 0; i < parts.length; i++)
        {
            final String bulk = readLine(in);
            if (null == bulk || !bulk.startsWith("$"))
            {
                throw new IOException("not a RESP bulk string: " + bulk);
            }
            parts[i] = readPayload(in, Integer.parseInt(bulk.substring(1)));
        }
        return parts;
    }
}
