/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One connection's first line waiting for, or going through, a {@link FirstLineVerifier} check: made by the
 * {@code authenticator} once the line is complete, handed to one {@code verifier-N} at a time, and given back with the
 * result.
 * <pre>
 *   QUEUED ──dispatch──▶ DISPATCHED ──verifier starts──▶ RUNNING ──▶ DONE        (result set)
 *                             └──authenticator: name deadline passed──▶ CANCELLED (never checked)
 * </pre>
 * Only the state crosses threads, with a compare-and-set between the authenticator (cancelling) and the verifier
 * (starting), so a check is either run or cancelled, never both. The verifier writes {@code keep} before its release
 * of DONE; the authenticator reads it after it takes the check from the results queue. The other fields belong to the
 * authenticator. Allocated once per login: the connect path, not the message path.
 */
final class LoginCheck
{
    static final int QUEUED = 0;
    static final int DISPATCHED = 1;
    static final int RUNNING = 2;
    static final int DONE = 3;
    static final int CANCELLED = 4;

    private static final VarHandle STATE;

    static
    {
        try
        {
            STATE = MethodHandles.lookup().findVarHandle(LoginCheck.class, "state", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    final Connection connection;
    final LoginSources.Source source;
    /** The first line without its line end: {@code name secret}. Zeroed by the verifier once checked. */
    final byte[] line;
    /** What the client sent after its first line in the same read, handed on to the reader with the name. */
    final byte[] rest;

    // authenticator-owned
    /** The verifier it was dispatched to, -1 before. */
    int verifierIndex = -1;
    /** The connection was refused (its deadline passed) while the check was out: only the verifier is freed. */
    boolean abandoned;

    // crossing threads
    /** Written by the verifier before it sets DONE. */
    int keep = -1;
    @SuppressWarnings("unused") // through STATE
    private volatile int state = QUEUED;

    LoginCheck(final Connection connection, final LoginSources.Source source, final byte[] line, final byte[] rest)
    {
        this.connection = connection;
        this.source = source;
        this.line = line;
        this.rest = rest;
    }

    int state()
    {
        return (int)STATE.getAcquire(this);
    }

    /** Authenticator: handed to a verifier. */
    void dispatched(final int verifier)
    {
        verifierIndex = verifier;
        STATE.setRelease(this, DISPATCHED);
    }

    /** Verifier: @return true if it may run the check, false if the authenticator cancelled it first. */
    boolean tryStart()
    {
        return STATE.compareAndSet(this, DISPATCHED, RUNNING);
    }

    /** Verifier: the result, published with the state. */
    void done(final int keepBytes)
    {
        keep = keepBytes;
        STATE.setRelease(this, DONE);
    }

    /** Authenticator: @return true if the check will never run (it was queued or dispatched, not yet started). */
    boolean tryCancel()
    {
        return STATE.compareAndSet(this, QUEUED, CANCELLED) || STATE.compareAndSet(this, DISPATCHED, CANCELLED);
    }

    /** @return true if a verifier ran it and it refused the line. */
    boolean failed()
    {
        return state() == DONE && keep < 0;
    }
}
