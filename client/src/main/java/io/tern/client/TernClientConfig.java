/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.client;

import io.tern.transport.Protocol;

import javax.net.ssl.SSLContext;
import java.time.Duration;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Everything a {@link TernClient} needs, with chainable setters; {@link TernClient#connect} checks it all once and
 * fails with {@code name=value} messages. Every default and why it was chosen is in docs/client.md ("Settings").
 * <p>
 * Not thread-safe: fill it on one thread, then hand it to {@link TernClient#connect}. The client reads it from its
 * I/O thread while it runs (it makes no copy), so do not change it afterwards.
 */
public final class TernClientConfig
{
    /** {@link #trackedSends(int)}'s default. */
    public static final int DEFAULT_TRACKED_SENDS = 4096;
    /** Bytes of destination lists kept per tracked send. */
    public static final int TRACKED_NAME_BYTES_PER_SEND = 16;

    private String host = "127.0.0.1";
    private int port = 8080;
    private String name;
    private String secret;
    private SSLContext tls;
    private String tlsServerName;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration closeTimeout = Duration.ofSeconds(2);
    private boolean reconnect;
    private Duration reconnectMinDelay = Duration.ofMillis(100);
    private Duration reconnectMaxDelay = Duration.ofSeconds(5);
    private Duration nameTakenRetry = Duration.ofSeconds(5);
    private int sendBufferBytes = 1 << 20;
    private int trackedSends = DEFAULT_TRACKED_SENDS;
    private int maxLineBytes = 65536;
    private int maxNameBytes = Protocol.DEFAULT_MAX_NAME_BYTES;
    private MessageHandler messageHandler = message -> { };
    private ErrorHandler errorHandler = error -> { };
    private ConnectionListener connectionListener = (client, state, reason) -> { };

    /** @param host the broker's host name or address; over TLS its certificate must name it. Default 127.0.0.1. */
    public TernClientConfig host(final String host)
    {
        this.host = host;
        return this;
    }

    /** @param port the broker's port (its TLS port with {@link #tls}). Default 8080. */
    public TernClientConfig port(final int port)
    {
        this.port = port;
        return this;
    }

    /** @param name the name to register, under the protocol's name rule. Required. */
    public TernClientConfig name(final String name)
    {
        this.name = name;
        return this;
    }

    /** @param secret the name's secret, for a broker started with {@code --auth-file}; null (default) for none. */
    public TernClientConfig secret(final String secret)
    {
        this.secret = secret;
        return this;
    }

    /**
     * @param context for the broker's TLS port: its trust store (and key, for a broker that asks for client
     *                certificates), e.g. from {@code io.tern.transport.TlsContexts}; null (default) for plain TCP.
     */
    public TernClientConfig tls(final SSLContext context)
    {
        this.tls = context;
        return this;
    }

    /** @param serverName the name the broker's certificate must carry, when not {@link #host}. */
    public TernClientConfig tlsServerName(final String serverName)
    {
        this.tlsServerName = serverName;
        return this;
    }

    /**
     * @param timeout for {@link TernClient#connect}: connection, TLS handshake and registration, retries included;
     *                and for each reconnect attempt. Default 10 s.
     */
    public TernClientConfig connectTimeout(final Duration timeout)
    {
        this.connectTimeout = timeout;
        return this;
    }

    /** @param timeout how long {@link TernClient#close()} waits for buffered sends to be routed. Default 2 s. */
    public TernClientConfig closeTimeout(final Duration timeout)
    {
        this.closeTimeout = timeout;
        return this;
    }

    /** @param reconnect connect again, with back-off, when the connection is lost. Default false. */
    public TernClientConfig reconnect(final boolean reconnect)
    {
        this.reconnect = reconnect;
        return this;
    }

    /**
     * @param min the first back-off before reconnecting; doubled after each failed attempt. Default 100 ms.
     * @param max the longest back-off. Default 5 s.
     */
    public TernClientConfig reconnectDelay(final Duration min, final Duration max)
    {
        this.reconnectMinDelay = min;
        this.reconnectMaxDelay = max;
        return this;
    }

    /**
     * @param retry how long to keep trying when the broker answers {@code error: name 'x' is taken} (its old
     *              connection not yet released); then connecting fails. Zero: fail at once. Default 5 s.
     */
    public TernClientConfig nameTakenRetry(final Duration retry)
    {
        this.nameTakenRetry = retry;
        return this;
    }

    /**
     * @param bytes of the send buffer, shared by every sending thread: sends wait here for the I/O thread, and while
     *              disconnected (reconnect on) for the next connection; a send that does not fit is refused. A power
     *              of two, at least 64 KiB; one message line may take an eighth of it. Default 1 MiB.
     */
    public TernClientConfig sendBufferBytes(final int bytes)
    {
        this.sendBufferBytes = bytes;
        return this;
    }

    /**
     * @param sends the most recent sends the I/O thread keeps to tie an error reply to its send
     *              ({@link ErrorReply#sendId()}), with {@value #TRACKED_NAME_BYTES_PER_SEND} bytes each of room for
     *              their destination lists; a reply to a send older than that is tied to none. A power of two from 1
     *              to 2^20. Default 4096: 128 KiB for the sends and 64 KiB for their lists, on the heap.
     */
    public TernClientConfig trackedSends(final int sends)
    {
        this.trackedSends = sends;
        return this;
    }

    /**
     * @param maxLineBytes the broker's {@code --max-line-bytes}, which sizes the read buffer. Default 65536, the
     *                     broker's default.
     * @param maxNameBytes the broker's {@code --max-name-bytes}. Default 64, the broker's default.
     */
    public TernClientConfig brokerLimits(final int maxLineBytes, final int maxNameBytes)
    {
        this.maxLineBytes = maxLineBytes;
        this.maxNameBytes = maxNameBytes;
        return this;
    }

    /** @param handler gets every message, garbage-free, on the I/O thread. */
    public TernClientConfig messageHandler(final MessageHandler handler)
    {
        this.messageHandler = Objects.requireNonNull(handler, "handler");
        return this;
    }

    /** @param handler gets every message as its sender's name and its text (allocates), on the I/O thread. */
    public TernClientConfig onMessage(final BiConsumer<String, String> handler)
    {
        Objects.requireNonNull(handler, "handler");
        this.messageHandler = message -> handler.accept(message.senderAsString(), message.textAsString());
        return this;
    }

    /** @param handler gets every error reply, typed, on the I/O thread. */
    public TernClientConfig errorHandler(final ErrorHandler handler)
    {
        this.errorHandler = Objects.requireNonNull(handler, "handler");
        return this;
    }

    /** @param handler gets every error reply as its kind, send id and line (allocates), on the I/O thread. */
    public TernClientConfig onError(final Consumer<String> handler)
    {
        Objects.requireNonNull(handler, "handler");
        this.errorHandler = error -> handler.accept(error.toString());
        return this;
    }

    /** @param listener told of each connection state change, on the I/O thread. */
    public TernClientConfig connectionListener(final ConnectionListener listener)
    {
        this.connectionListener = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /** Checks every setting once; {@link TernClient#connect} calls it. */
    void conclude()
    {
        if (null == name)
        {
            throw new IllegalArgumentException("name=null: a client needs a name");
        }
        final Protocol.NameError nameError = Protocol.checkName(name, maxNameBytes);
        if (null != nameError)
        {
            throw new IllegalArgumentException("name='" + name + "' is not valid: " + nameError.reason(maxNameBytes));
        }
        if (null != secret && (secret.isEmpty() || secret.chars().anyMatch(c -> c <= ' ' || c == 0x7F)))
        {
            throw new IllegalArgumentException("secret must be non-empty, without spaces or control characters");
        }
        if (null == host || host.isEmpty())
        {
            throw new IllegalArgumentException("host=" + host);
        }
        if (port < 1 || port > 65535)
        {
            throw new IllegalArgumentException("port=" + port + " is not in 1..65535");
        }
        positive("connectTimeout", connectTimeout);
        positive("closeTimeout", closeTimeout);
        positive("reconnectMinDelay", reconnectMinDelay);
        positive("reconnectMaxDelay", reconnectMaxDelay);
        if (reconnectMaxDelay.compareTo(reconnectMinDelay) < 0)
        {
            throw new IllegalArgumentException("reconnectMaxDelay=" + reconnectMaxDelay + " is below reconnectMinDelay=" +
                reconnectMinDelay);
        }
        if (null == nameTakenRetry || nameTakenRetry.isNegative())
        {
            throw new IllegalArgumentException("nameTakenRetry=" + nameTakenRetry);
        }
        if (sendBufferBytes < 64 * 1024 || Integer.bitCount(sendBufferBytes) != 1 || sendBufferBytes > 1 << 30)
        {
            throw new IllegalArgumentException("sendBufferBytes=" + sendBufferBytes +
                " must be a power of two from 65536 to 2^30");
        }
        if (trackedSends < 1 || Integer.bitCount(trackedSends) != 1 || trackedSends > 1 << 20)
        {
            throw new IllegalArgumentException("trackedSends=" + trackedSends +
                " must be a power of two from 1 to 2^20");
        }
        if (maxLineBytes < 1 || maxNameBytes < 1)
        {
            throw new IllegalArgumentException("maxLineBytes=" + maxLineBytes + ", maxNameBytes=" + maxNameBytes +
                " must be positive");
        }
    }

    private static void positive(final String what, final Duration duration)
    {
        if (null == duration || duration.isNegative() || duration.isZero())
        {
            throw new IllegalArgumentException(what + "=" + duration + " must be positive");
        }
    }

    String host()
    {
        return host;
    }

    int port()
    {
        return port;
    }

    String name()
    {
        return name;
    }

    String secret()
    {
        return secret;
    }

    SSLContext tls()
    {
        return tls;
    }

    String tlsServerName()
    {
        return null != tlsServerName ? tlsServerName : host;
    }

    Duration connectTimeout()
    {
        return connectTimeout;
    }

    Duration closeTimeout()
    {
        return closeTimeout;
    }

    boolean reconnect()
    {
        return reconnect;
    }

    Duration reconnectMinDelay()
    {
        return reconnectMinDelay;
    }

    Duration reconnectMaxDelay()
    {
        return reconnectMaxDelay;
    }

    Duration nameTakenRetry()
    {
        return nameTakenRetry;
    }

    int sendBufferBytes()
    {
        return sendBufferBytes;
    }

    int trackedSends()
    {
        return trackedSends;
    }

    int maxLineBytes()
    {
        return maxLineBytes;
    }

    int maxNameBytes()
    {
        return maxNameBytes;
    }

    MessageHandler messageHandler()
    {
        return messageHandler;
    }

    ErrorHandler errorHandler()
    {
        return errorHandler;
    }

    ConnectionListener connectionListener()
    {
        return connectionListener;
    }
}
