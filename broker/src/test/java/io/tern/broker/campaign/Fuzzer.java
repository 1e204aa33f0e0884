/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.campaign;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import io.tern.broker.LineClient;

/**
 * One hostile client thread of the fuzz campaign: until its deadline it opens connection after connection and, seeded
 * by {@code seed}, sends random bytes, random line lengths, NUL and non-UTF-8 bytes, lone {@code \r}, invalid names,
 * huge destination lists and overlong lines, sometimes reading what comes back and sometimes not, and ends each
 * connection with a close, a reset or by leaving a line half sent. It never fails on what the broker does to it: the
 * broker may refuse, cut or close it; the campaign checks the broker and the well-behaved clients instead.
 */
final class Fuzzer implements Runnable
{
    static final int MAX_LINE_BYTES = 65536;

    private final int index;
    private final long seed;
    private final Random random;
    private final InetSocketAddress address;
    private final long deadlineNs;
    private final List<String> strangers;
    private final Map<String, LongAdder> counts;
    private int session;
    private LineClient client;
    private boolean reads;
    private final byte[] drain = new byte[64 * 1024];

    Fuzzer(final int index, final long seed, final InetSocketAddress address, final long deadlineNs,
        final List<String> strangers, final Map<String, LongAdder> counts)
    {
        this.index = index;
        this.seed = seed;
        this.random = new Random(seed);
        this.address = address;
        this.deadlineNs = deadlineNs;
        this.strangers = strangers;
        this.counts = counts;
    }

    static Map<String, LongAdder> newCounts()
    {
        return new ConcurrentHashMap<>();
    }

    static TreeMap<String, Long> snapshot(final Map<String, LongAdder> counts)
    {
        final TreeMap<String, Long> result = new TreeMap<>();
        counts.forEach((k, v) -> result.put(k, v.sum()));
        return result;
    }

    private void count(final String what)
    {
        counts.computeIfAbsent(what, k -> new LongAdder()).increment();
    }

    private void countBytes(final long bytes)
    {
        counts.computeIfAbsent("bytes sent", k -> new LongAdder()).add(bytes);
    }

    @Override
    public void run()
    {
        while (System.nanoTime() - deadlineNs < 0 && !Thread.currentThread().isInterrupted())
        {
            session++;
            try
            {
                client = CampaignSupport.connectClient(address, random.nextInt(4) == 0 ? 4096 : 0);
                count("connections");
                reads = random.nextBoolean();
                runSession();
            }
            catch (final IOException ex)
            {
                count("sessions ended by the broker (write failed)");
            }
            finally
            {
                endSession();
            }
        }
    }

    private void runSession() throws IOException
    {
        final String myName = "fz" + index + "-" + session;
        switch (random.nextInt(6))
        {
            case 0:
                count("junk from the first byte");
                send(randomBytes(1 + random.nextInt(random.nextBoolean() ? 100 : 20_000), true));
                break;
            case 1:
                count("invalid name");
                send(invalidName());
                break;
            case 2:
                count("never sends a complete name");
                send(randomBytes(random.nextInt(40), false));
                return;
            default:
                count("valid name");
                send((myName + "\n").getBytes(StandardCharsets.UTF_8));
                break;
        }
        final int ops = 1 + random.nextInt(30);
        for (int i = 0; i < ops && System.nanoTime() - deadlineNs < 0; i++)
        {
            operation(myName);
            if (reads)
            {
                drainInput();
            }
        }
    }

    private void operation(final String myName) throws IOException
    {
        final int kind = random.nextInt(100);
        if (kind < 20)
        {
            count("random-byte line");
            send(line(randomBytes(random.nextInt(random.nextInt(10) == 0 ? 20_000 : 300), false)));
        }
        else if (kind < 40)
        {
            count("message with NUL, non-UTF-8 or lone CR text to a stranger (refused if NUL or CR)");
            final String to = random.nextBoolean() || strangers.isEmpty() ? myName :
                strangers.get(random.nextInt(strangers.size()));
            send(line(concat((to + ": ").getBytes(StandardCharsets.UTF_8), hostileText(1 + random.nextInt(200)))));
        }
        else if (kind < 50)
        {
            count("random chunk with newlines (random framing)");
            send(randomBytes(1 + random.nextInt(5000), true));
        }
        else if (kind < 58)
        {
            count("huge destination list to itself");
            send(hugeDestinationList(myName, 1_000 + random.nextInt(MAX_LINE_BYTES - 1_100)));
        }
        else if (kind < 64)
        {
            count("huge destination list of unknown names");
            final StringBuilder sb = new StringBuilder();
            final int target = 1_000 + random.nextInt(MAX_LINE_BYTES - 1_100);
            while (sb.length() < target)
            {
                sb.append("nobody").append(random.nextInt(100_000)).append(',');
            }
            send(line((sb + ": x").getBytes(StandardCharsets.UTF_8)));
        }
        else if (kind < 68)
        {
            count("overlong line");
            final byte[] longLine = new byte[MAX_LINE_BYTES + 1 + random.nextInt(8_000)];
            for (int i = 0; i < longLine.length; i++)
            {
                longLine[i] = (byte)('a' + random.nextInt(26));
            }
            if (random.nextBoolean())
            {
                longLine[random.nextInt(100)] = ':';
            }
            send(line(longLine));
        }
        else if (kind < 71)
        {
            count("line of exactly the maximum to itself");
            final byte[] max = new byte[MAX_LINE_BYTES];
            final byte[] head = (myName + ": ").getBytes(StandardCharsets.UTF_8);
            System.arraycopy(head, 0, max, 0, head.length);
            for (int i = head.length; i < max.length; i++)
            {
                max[i] = (byte)('A' + random.nextInt(26));
            }
            send(random.nextBoolean() ? line(max) : concat(max, new byte[]{ '\r', '\n' }));
        }
        else if (kind < 80)
        {
            count("lone CR sequences");
            final String[] crs = { "\r", "\r\r\r\n", myName + ":\r\rx\r\n", "\r" + myName + ": a\rb\n", ":\r\n",
                "\r\r\r\r\r\r\r\r" };
            send(crs[random.nextInt(crs.length)].getBytes(StandardCharsets.UTF_8));
        }
        else if (kind < 88)
        {
            count("line sent byte by byte");
            final byte[] bytes = line((myName + ": slow \u00e9\u0000" + random.nextInt()).getBytes(
                StandardCharsets.UTF_8));
            for (final byte b : bytes)
            {
                send(new byte[]{ b });
            }
        }
        else if (kind < 94)
        {
            count("separators only");
            final String[] odd = { ":", ",:", " , , : x", ",,,,", "\t:\t", ": :", "a,,b,:", "\u0000:\u0000" };
            send(line(odd[random.nextInt(odd.length)].getBytes(StandardCharsets.UTF_8)));
        }
        else
        {
            count("a second name line (taken name or message)");
            send(line(strangers.isEmpty() ? myName.getBytes(StandardCharsets.UTF_8) :
                strangers.get(random.nextInt(strangers.size())).getBytes(StandardCharsets.UTF_8)));
        }
    }

    private void endSession()
    {
        if (null == client)
        {
            return;
        }
        try
        {
            switch (random.nextInt(4))
            {
                case 0:
                    count("ended with a reset");
                    client.abort();
                    break;
                case 1:
                    count("ended mid-line with a reset");
                    client.sendRaw(randomBytes(1 + random.nextInt(3000), false));
                    client.abort();
                    break;
                case 2:
                    count("ended with a half-close");
                    client.shutdownOutput();
                    client.awaitClosed();
                    client.close();
                    break;
                default:
                    count("ended with a close");
                    client.close();
                    break;
            }
        }
        catch (final IOException | AssertionError ex)
        {
            try
            {
                client.close();
            }
            catch (final IOException ignore)
            {
                // already gone
            }
        }
        client = null;
    }

    private void send(final byte[] bytes) throws IOException
    {
        client.sendRaw(bytes);
        countBytes(bytes.length);
    }

    private void drainInput() throws IOException
    {
        final InputStream in = client.socket().getInputStream();
        int available;
        while ((available = in.available()) > 0)
        {
            final int read = in.read(drain, 0, Math.min(available, drain.length));
            if (read < 0)
            {
                return;
            }
        }
    }

    private byte[] invalidName()
    {
        final String[] names = { "\n", "   \n", "a,b\n", "a:b\n", "bad\u0000name\n", "bad\u0001\n", "x\u007f\n",
            "n".repeat(65) + "\n", "\t\t\n", ":\n", ",\n", "\r\n" };
        return names[random.nextInt(names.length)].getBytes(StandardCharsets.UTF_8);
    }

    private byte[] hugeDestinationList(final String name, final int bytes)
    {
        final StringBuilder sb = new StringBuilder(bytes + 10);
        while (sb.length() + name.length() + 4 < bytes)
        {
            sb.append(name).append(',');
        }
        sb.append(": x\n");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Hostile text: anything but {@code \n}, with NUL, lone CR and non-UTF-8. The broker refuses a line holding NUL or
     * a CR ({@code error: control character in line}) and forwards the rest as bytes.
     */
    private byte[] hostileText(final int length)
    {
        final byte[] text = new byte[length];
        for (int i = 0; i < length; i++)
        {
            switch (random.nextInt(6))
            {
                case 0:
                    text[i] = 0;
                    break;
                case 1:
                    text[i] = '\r';
                    break;
                case 2:
                    text[i] = (byte)(0x80 + random.nextInt(0x80));
                    break;
                default:
                    text[i] = (byte)(0x20 + random.nextInt(0x5F));
                    break;
            }
            if (text[i] == '\n')
            {
                text[i] = ' ';
            }
        }
        return text;
    }

    private byte[] randomBytes(final int length, final boolean newlines)
    {
        final byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        if (!newlines)
        {
            for (int i = 0; i < length; i++)
            {
                if (bytes[i] == '\n')
                {
                    bytes[i] = 0;
                }
            }
        }
        return bytes;
    }

    private static byte[] line(final byte[] content)
    {
        return concat(content, new byte[]{ '\n' });
    }

    private static byte[] concat(final byte[] a, final byte[] b)
    {
        final byte[] result = new byte[a.length + b.length];
        System.arraycopy(a, 0, result, 0, a.length);
        System.arraycopy(b, 0, result, a.length, b.length);
        return result;
    }

    @Override
    public String toString()
    {
        return "fuzzer " + index + " (seed " + seed + ", session " + session + ")";
    }
}
