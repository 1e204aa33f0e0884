/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

/**
 * Checks a connection's first line before the connection joins a reader, for brokers that require authentication.
 * Called once per login on one of the transport's {@code verifier-N} threads, several of them at once when there are
 * several: implementations must be thread safe. It may take milliseconds (a key-derivation function), which is why
 * it runs there and not on the {@code authenticator}, a reader or the broker.
 */
@FunctionalInterface
public interface FirstLineVerifier
{
    /**
     * @param line   the bytes of the first line, without {@code \n} and a {@code \r} before it.
     * @param offset first byte of the line in {@code line}.
     * @param length length of the line.
     * @return how many leading bytes of the line to keep as the name line handed on to the broker (the credentials
     * after them are dropped), or -1 to refuse the connection with {@code error: not authorized}.
     */
    int verify(byte[] line, int offset, int length);
}
