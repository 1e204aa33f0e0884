/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.client;

/**
 * Connecting failed: the broker's reply as {@link #kind()} (e.g. {@link ErrorKind#NOT_AUTHORIZED}), or null when there
 * was none (no connection, a TLS failure, the connect timeout).
 */
public final class TernClientException extends Exception
{
    private static final long serialVersionUID = 1L;

    private final transient ErrorKind kind;

    /**
     * @param message what failed.
     * @param kind    the broker's reply, or null.
     * @param cause   the underlying exception, or null.
     */
    public TernClientException(final String message, final ErrorKind kind, final Throwable cause)
    {
        super(message, cause);
        this.kind = kind;
    }

    /** @return the broker's reply that made connecting fail, or null when there was none. */
    public ErrorKind kind()
    {
        return kind;
    }
}
