/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.client;

import io.tern.transport.Protocol;

/**
 * Every {@code error:} line the broker can send, as a type. The texts are {@link Protocol}'s, the one description the
 * broker uses too, so the two cannot drift apart.
 * <pre>
 *   kind                    broker's line                                  per send  closes  reconnect retries
 *   NO_SUCH_PEER            error: no peer 'NAME'                          yes       no      -
 *   BAD_LINE                error: expected 'name[, name...]: text'        yes       no      -
 *   CONTROL_CHARACTER       error: control character in line               yes       no      -
 *   TOO_MANY_DESTINATIONS   error: too many destinations (max N)           yes       no      -
 *   LINE_TOO_LONG           error: line too long (max N bytes)             yes       yes     yes
 *   INVALID_NAME            error: invalid name: REASON                    no        yes     no (fatal)
 *   NAME_TAKEN              error: name 'NAME' is taken                    no        yes     for a bounded time
 *   NOT_AUTHORIZED          error: not authorized                          no        yes     no (fatal)
 *   BUSY                    error: busy                                    no        yes     yes
 *   NAME_TIMEOUT            error: no name within N ms                     no        yes     yes
 *   PARTIAL_LINE_TIMEOUT    error: line not finished within N ms           no        yes     yes
 *   IDLE_TIMEOUT            error: idle for N ms                           no        yes     yes
 *   SLOW_CONSUMER           error: slow consumer                           no        yes     yes
 *   TOO_MANY_CONNECTIONS    error: too many connections                    no        yes     yes
 *   TOO_MANY_FROM_ADDRESS   error: too many connections from your address  no        yes     yes
 *   SERVER_OUT_OF_MEMORY    error: server out of memory                    no        yes     yes
 *   CLUSTER_UNAVAILABLE     error: cluster unavailable                     no        yes     yes
 *   UNKNOWN                 any other error: line (a newer broker)         no        no      -
 *   MALFORMED_LINE          a line neither from nor error: (not a broker)  no        no      -
 * </pre>
 * Immutable: any thread.
 */
public enum ErrorKind
{
    /** A destination is not connected; the others of the send got the message. */
    NO_SUCH_PEER(true, false, true),
    /** The line was not {@code dest1, dest2: text}; nothing was delivered. */
    BAD_LINE(true, false, true),
    /** The text held a control character other than tab; nothing was delivered. */
    CONTROL_CHARACTER(true, false, true),
    /** More destinations than the broker's {@code --max-destinations}; nothing was delivered. */
    TOO_MANY_DESTINATIONS(true, false, true),
    /** A line longer than the broker's {@code --max-line-bytes}; nothing was delivered and the connection closes. */
    LINE_TOO_LONG(true, true, true),
    /** The client's name breaks the broker's name rule. */
    INVALID_NAME(false, true, false),
    /** Another connection holds the name (or the broker has not yet noticed that this client's old one closed). */
    NAME_TAKEN(false, true, true),
    /** Wrong or missing secret, or this address is backing off after failed logins. */
    NOT_AUTHORIZED(false, true, false),
    /** Too many logins wait for a credentials check: try again later. */
    BUSY(false, true, true),
    /** No name line within the broker's {@code --name-timeout-ms}. */
    NAME_TIMEOUT(false, true, true),
    /** A line begun and not finished within the broker's {@code --partial-line-timeout-ms}. */
    PARTIAL_LINE_TIMEOUT(false, true, true),
    /** Nothing sent or received for the broker's {@code --idle-timeout-ms}. */
    IDLE_TIMEOUT(false, true, true),
    /** This client did not read fast enough; the broker discarded what was queued for it. */
    SLOW_CONSUMER(false, true, true),
    /** The broker has {@code --max-connections} open. */
    TOO_MANY_CONNECTIONS(false, true, true),
    /** The broker has {@code --max-connections-per-address} open from this client's address. */
    TOO_MANY_FROM_ADDRESS(false, true, true),
    /** The broker had no memory for the connection's buffers. */
    SERVER_OUT_OF_MEMORY(false, true, true),
    /** The broker is a cluster node that cannot reach the cluster's name directory; another node may serve. */
    CLUSTER_UNAVAILABLE(false, true, true),
    /** An {@code error:} line this client does not know. */
    UNKNOWN(false, false, true),
    /**
     * A line that is neither {@code from NAME: TEXT} nor {@code error: ...}: no tern broker sends one, so the server is
     * not a tern broker (or not one this client can read). The client goes on reading; the line is skipped.
     */
    MALFORMED_LINE(false, false, false);

    private final boolean perSend;
    private final boolean closesConnection;
    private final boolean retryable;

    ErrorKind(final boolean perSend, final boolean closesConnection, final boolean retryable)
    {
        this.perSend = perSend;
        this.closesConnection = closesConnection;
        this.retryable = retryable;
    }

    /** @return true when the broker sends it in answer to one message line, so it can be tied to a send. */
    public boolean isPerSend()
    {
        return perSend;
    }

    /** @return true when the broker closes the connection after it. */
    public boolean closesConnection()
    {
        return closesConnection;
    }

    /**
     * @return false for the replies after which connecting again cannot succeed without a change (a wrong secret, an
     * invalid name): reconnecting stops and {@link TernClient#connect} throws.
     */
    public boolean isRetryable()
    {
        return retryable;
    }
}
