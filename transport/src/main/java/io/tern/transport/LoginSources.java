/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * What the {@code authenticator} knows about each source address of logins: its failed logins (to throttle it) and
 * its checks waiting for a verifier (to share the verifiers fairly between sources). Owned by the authenticator
 * thread alone; nothing here crosses threads.
 * <pre>
 *   sources (LinkedHashMap, least recently used first, at most max-sources entries without waiting checks)
 *     address ─▶ Source { failures in the current window, blocked until, waiting checks (FIFO) }
 *
 *   turns (the sources that have waiting checks, round robin): the next check dispatched is the oldest of the
 *   source whose turn it is, so a source with 300 checks waiting delays another source's check by one at most, not
 *   300; a source that had nothing waiting takes the next turn, so a single login waits only for the checks
 *   already running.
 * </pre>
 * Bounds: at most {@code maxPending} checks wait in all; when a new one would exceed that, the newest check of the
 * source holding the most is shed (answered {@code busy}), or the new one if its own source holds as many. The
 * table keeps at most {@code maxSources} addresses, evicting the least recently seen that has no waiting check, so
 * its memory is bounded whatever the number of addresses; an evicted address starts again with no failures.
 * <p>
 * An IPv6 source counts by its /64 prefix, which one host or one customer is commonly given whole.
 */
final class LoginSources
{
    /** One source address (an IPv6 /64). */
    static final class Source
    {
        final InetAddress address;
        private final ArrayDeque<LoginCheck> waiting = new ArrayDeque<>(4);
        private int failures;
        private long windowStartNs;
        private long blockedUntilNs;
        private boolean blocked;
        private boolean inTurns;

        Source(final InetAddress address)
        {
            this.address = address;
        }

        /** @return its checks waiting for a verifier. */
        int waiting()
        {
            return waiting.size();
        }

        @Override
        public String toString()
        {
            return address.getHostAddress() + (address instanceof Inet6Address ? "/64" : "");
        }
    }

    private final int maxFailures;
    private final long failureWindowNs;
    private final long backoffNs;
    private final int maxSources;
    private final int maxPending;
    private final LinkedHashMap<InetAddress, Source> sources = new LinkedHashMap<>(64, 0.75f, true);
    private final ArrayDeque<Source> turns = new ArrayDeque<>();
    private int pending;

    /**
     * @param maxFailures     failed logins from one source within the window that start its back-off; 0 for none.
     * @param failureWindowNs the window.
     * @param backoffNs       how long a source's logins are then refused without a check.
     * @param maxSources      addresses remembered (those with waiting checks are never evicted).
     * @param maxPending      checks waiting for a verifier, over all sources.
     */
    LoginSources(
        final int maxFailures,
        final long failureWindowNs,
        final long backoffNs,
        final int maxSources,
        final int maxPending)
    {
        this.maxFailures = maxFailures;
        this.failureWindowNs = failureWindowNs;
        this.backoffNs = backoffNs;
        this.maxSources = maxSources;
        this.maxPending = maxPending;
    }

    /**
     * @param remote a connection's remote address.
     * @return the address its logins count under: the IP address, or for IPv6 its /64 prefix.
     */
    static InetAddress sourceOf(final SocketAddress remote)
    {
        final InetAddress address = remote instanceof InetSocketAddress ?
            ((InetSocketAddress)remote).getAddress() : null;
        if (null == address)
        {
            return InetAddress.getLoopbackAddress(); // not an IP socket: all such logins count as one source
        }
        if (address instanceof Inet6Address)
        {
            final byte[] prefix = address.getAddress();
            java.util.Arrays.fill(prefix, 8, 16, (byte)0);
            try
            {
                return InetAddress.getByAddress(prefix);
            }
            catch (final UnknownHostException ex)
            {
                throw new IllegalStateException(ex); // 16 bytes are always a valid address
            }
        }
        return address;
    }

    /**
     * @param address as {@link #sourceOf(SocketAddress)} gives it.
     * @return its entry, made now if it had none (evicting the least recently seen idle one over the cap).
     */
    Source source(final InetAddress address)
    {
        Source source = sources.get(address);
        if (null == source)
        {
            if (sources.size() >= maxSources)
            {
                evictOne();
            }
            source = new Source(address);
            sources.put(address, source);
        }
        return source;
    }

    private void evictOne()
    {
        final Iterator<Source> eldestFirst = sources.values().iterator();
        while (eldestFirst.hasNext())
        {
            if (eldestFirst.next().waiting.isEmpty())
            {
                eldestFirst.remove();
                return;
            }
        }
        // Every entry has a waiting check: the table exceeds the cap by at most maxPending entries.
    }

    /** @return addresses remembered now. */
    int size()
    {
        return sources.size();
    }

    /** @return checks waiting for a verifier now. */
    int pending()
    {
        return pending;
    }

    /**
     * @param source a source.
     * @param nowNs  {@link System#nanoTime()}.
     * @return true while its logins are refused without a check.
     */
    boolean isBlocked(final Source source, final long nowNs)
    {
        if (source.blocked && nowNs - source.blockedUntilNs >= 0)
        {
            source.blocked = false; // the back-off has passed: start again with a clean slate
            source.failures = 0;
        }
        return source.blocked;
    }

    /**
     * Counts a failed login (a check that refused the line).
     *
     * @return true if this failure started the source's back-off (to log it once).
     */
    boolean onFailure(final Source source, final long nowNs)
    {
        if (0 == maxFailures || isBlocked(source, nowNs))
        {
            return false;
        }
        if (0 == source.failures || nowNs - source.windowStartNs > failureWindowNs)
        {
            source.windowStartNs = nowNs;
            source.failures = 0;
        }
        if (++source.failures >= maxFailures)
        {
            source.blocked = true;
            source.blockedUntilNs = nowNs + backoffNs;
            return true;
        }
        return false;
    }

    /**
     * Queues a check behind the others of its source.
     *
     * @param check a new check, {@link LoginCheck#QUEUED}.
     * @return null if it was queued and nothing shed; otherwise the check to answer {@code busy}: the new one, or the
     * newest of the source holding the most waiting checks (the new one is queued then).
     */
    LoginCheck enqueue(final LoginCheck check)
    {
        final Source source = check.source;
        LoginCheck shed = null;
        if (pending >= maxPending)
        {
            Source heaviest = source;
            for (final Source candidate : turns)
            {
                if (candidate.waiting.size() > heaviest.waiting.size())
                {
                    heaviest = candidate;
                }
            }
            // Shed from another source only while it would still hold at least as many as this one.
            if (heaviest == source || heaviest.waiting.size() <= source.waiting.size() + 1)
            {
                return check;
            }
            shed = heaviest.waiting.pollLast();
            pending--;
        }
        source.waiting.addLast(check);
        pending++;
        if (!source.inTurns)
        {
            // A source with nothing waiting goes first: a client logging in once waits for no flood's turn.
            source.inTurns = true;
            turns.addFirst(source);
        }
        return shed;
    }

    /** @return the next check to dispatch, the oldest of the source whose turn it is; null if none waits. */
    LoginCheck next()
    {
        final Source source = turns.pollFirst();
        if (null == source)
        {
            return null;
        }
        final LoginCheck check = source.waiting.pollFirst();
        pending--;
        if (source.waiting.isEmpty())
        {
            source.inTurns = false;
        }
        else
        {
            turns.addLast(source);
        }
        return check;
    }

    /**
     * Takes a check out of its queue without dispatching it (its deadline passed).
     *
     * @return true if it was waiting.
     */
    boolean remove(final LoginCheck check)
    {
        final Source source = check.source;
        if (!source.waiting.remove(check))
        {
            return false;
        }
        pending--;
        if (source.waiting.isEmpty() && source.inTurns)
        {
            source.inTurns = false;
            turns.remove(source);
        }
        return true;
    }
}
