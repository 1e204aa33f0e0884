/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import io.tern.transport.Protocol;

import java.nio.charset.StandardCharsets;

/**
 * What an idle peer ({@link IdlePeers}) says to each kind of server to be known under its name, how the server
 * confirms it, and what it answers while it holds. Everything an idle peer can receive is line based (tern, NATS) or
 * a short run of CRLF-ended RESP elements (Redis), so the replies are read line by line, and only a line's first
 * {@link IdlePeers#LINE_PREFIX_BYTES} bytes are looked at (a NATS {@code INFO} line is longer, and needs no more).
 * <pre>
 *   target  registers with                                  confirmed by               held: answers
 *   tern    &lt;name&gt;\n &lt;name&gt;: probe\n                        from &lt;name&gt;: probe          -
 *           (error: no peer '&lt;name&gt;' -&gt; the probe again)
 *   nats    CONNECT {...}\r\n SUB &lt;name&gt; 1\r\n PING\r\n       PONG                       PING -&gt; PONG
 *   redis   *2 $9 SUBSCRIBE $n &lt;name&gt;                        :&lt;count&gt; of the subscribe   -
 *                                                           reply
 * </pre>
 * tern has no acknowledgement: a probe sent to itself after the name comes back only once the broker registered the
 * name (the client library's registration does the same with its sync line). Idle peers speak this much of the
 * protocol themselves rather than through a {@code TernClient} each: a client keeps a send ring, a write buffer and a
 * read buffer (hundreds of KiB per connection), and N idle peers are meant to cost the loadgen a few dozen bytes
 * each while the server's cost per idle connection is measured. NATS handles a connection's commands in order, so the
 * PONG proves the SUB is in effect. Redis's reply to SUBSCRIBE ends with the connection's subscription count.
 * <p>
 * Stateless apart from the constants; any thread.
 */
abstract class IdleProtocol
{
    /** The line means nothing to an idle peer (an INFO, a RESP header). */
    static final int IGNORED = 0;
    /** The registration is confirmed. */
    static final int CONFIRMED = 1;
    /** tern: the broker does not know the name yet; send {@link #retryBytes(String)} shortly. */
    static final int RETRY = 2;
    /** NATS: the server pinged; write {@link #pongBytes()}. */
    static final int PING = 3;
    /** The server refused the peer (an error reply): registration fails with the line as the reason. */
    static final int REFUSED = 4;
    /** Anything else: a message, or a reply an idle peer should never get. Counted while holding. */
    static final int UNEXPECTED = 5;

    private static final String PROBE = "probe";

    /**
     * @param target the kind of server.
     * @return how idle peers register with it.
     */
    static IdleProtocol of(final Target target)
    {
        switch (target)
        {
            case NATS:
                return new Nats();
            case REDIS:
                return new Redis();
            default:
                return new Tern();
        }
    }

    /** @return what a peer of this name writes once connected, ASCII. */
    abstract byte[] registrationBytes(String name);

    /** @return what to write after {@link #RETRY}; only tern asks for it. */
    byte[] retryBytes(final String name)
    {
        return ascii(name + Protocol.FROM_SEPARATOR + PROBE + "\n");
    }

    /** @return the answer to {@link #PING}; only NATS asks for it. */
    byte[] pongBytes()
    {
        return ascii("PONG\r\n");
    }

    /**
     * @param name      of the peer that got the line.
     * @param line      the line's first bytes, without the line end.
     * @param truncated true when the line was longer than what {@code line} holds.
     * @return {@link #IGNORED}, {@link #CONFIRMED}, {@link #RETRY}, {@link #PING}, {@link #REFUSED} or
     * {@link #UNEXPECTED}.
     */
    abstract int onLine(String name, String line, boolean truncated);

    static byte[] ascii(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** tern's line protocol: the name, then a probe to itself. */
    static final class Tern extends IdleProtocol
    {
        @Override
        byte[] registrationBytes(final String name)
        {
            return ascii(name + "\n" + name + Protocol.FROM_SEPARATOR + PROBE + "\n");
        }

        @Override
        int onLine(final String name, final String line, final boolean truncated)
        {
            if (!truncated && line.equals(Protocol.FROM_PREFIX + name + Protocol.FROM_SEPARATOR + PROBE))
            {
                return CONFIRMED;
            }
            if (!truncated && line.equals(Protocol.NO_PEER_PREFIX + name + Protocol.NO_PEER_SUFFIX))
            {
                return RETRY;
            }
            return line.startsWith(Protocol.ERROR_PREFIX) ? REFUSED : UNEXPECTED;
        }
    }

    /** Core NATS: CONNECT, SUB to its own name, and a PING whose PONG proves the SUB is in effect. */
    static final class Nats extends IdleProtocol
    {
        @Override
        byte[] registrationBytes(final String name)
        {
            // As NatsProtocol: verbose=false, so no +OK per command.
            return ascii("CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"" + name +
                "\",\"lang\":\"java\",\"version\":\"tern-loadgen\",\"protocol\":0}\r\nSUB " + name + " 1\r\nPING\r\n");
        }

        @Override
        int onLine(final String name, final String line, final boolean truncated)
        {
            if (line.equals("PONG"))
            {
                return CONFIRMED;
            }
            if (line.equals("PING"))
            {
                return PING;
            }
            if (line.startsWith("INFO") || line.equals("+OK"))
            {
                return IGNORED;
            }
            return line.startsWith("-ERR") ? REFUSED : UNEXPECTED;
        }
    }

    /** Redis pub/sub: SUBSCRIBE to its own name; no publisher connection, since an idle peer never publishes. */
    static final class Redis extends IdleProtocol
    {
        @Override
        byte[] registrationBytes(final String name)
        {
            return ascii("*2\r\n$9\r\nSUBSCRIBE\r\n$" + name.length() + "\r\n" + name + "\r\n");
        }

        @Override
        int onLine(final String name, final String line, final boolean truncated)
        {
            // The reply is *3 $9 subscribe $n <name> :<count>, an element a line; its one integer comes last.
            if (line.startsWith(":"))
            {
                return CONFIRMED;
            }
            if (line.startsWith("-"))
            {
                return REFUSED;
            }
            if (line.startsWith("*") || line.startsWith("$") || line.equals("subscribe") || line.equals(name))
            {
                return IGNORED;
            }
            return UNEXPECTED;
        }
    }
}
