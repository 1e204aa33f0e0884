/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The authenticator's per-source table, driven from the test thread with explicit times: throttling, its window and
 * back-off, the turns by source, the bound on waiting checks and the bound on remembered addresses.
 */
@Timeout(10)
class LoginSourcesTest
{
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private static InetAddress ip(final String text) throws Exception
    {
        return InetAddress.getByName(text);
    }

    private static LoginCheck check(final LoginSources.Source source)
    {
        return new LoginCheck(null, source, new byte[0], new byte[0]);
    }

    @Test
    void shouldBlockASourceAfterMaxFailuresWithinTheWindowUntilItsBackOffPasses() throws Exception
    {
        final LoginSources sources = new LoginSources(3, 1_000 * MS, 5_000 * MS, 100, 10);
        final LoginSources.Source a = sources.source(ip("10.0.0.1"));
        final LoginSources.Source b = sources.source(ip("10.0.0.2"));
        final long t0 = 1_000_000 * MS;

        assertFalse(sources.onFailure(a, t0));
        assertFalse(sources.onFailure(a, t0 + 100 * MS));
        assertTrue(sources.onFailure(a, t0 + 200 * MS), "the third failure within the window starts the back-off");
        assertTrue(sources.isBlocked(a, t0 + 201 * MS));
        assertFalse(sources.onFailure(a, t0 + 300 * MS), "failures while blocked do not extend it");
        assertTrue(sources.isBlocked(a, t0 + 5_199 * MS));
        assertFalse(sources.isBlocked(b, t0 + 300 * MS), "another address is not affected");
        assertFalse(sources.isBlocked(a, t0 + 5_200 * MS), "the back-off passed");
        assertFalse(sources.onFailure(a, t0 + 5_300 * MS), "and it starts again from no failures");
    }

    @Test
    void shouldForgetFailuresOlderThanTheWindow() throws Exception
    {
        final LoginSources sources = new LoginSources(3, 1_000 * MS, 5_000 * MS, 100, 10);
        final LoginSources.Source a = sources.source(ip("10.0.0.1"));
        final long t0 = 1_000_000 * MS;
        sources.onFailure(a, t0);
        sources.onFailure(a, t0 + 900 * MS);
        assertFalse(sources.onFailure(a, t0 + 1_100 * MS), "the window restarted: one failure in it");
        assertFalse(sources.isBlocked(a, t0 + 1_100 * MS));
    }

    @Test
    void shouldNeverBlockWithThrottlingOff() throws Exception
    {
        final LoginSources sources = new LoginSources(0, 1_000 * MS, 5_000 * MS, 100, 10);
        final LoginSources.Source a = sources.source(ip("10.0.0.1"));
        for (int i = 0; i < 1_000; i++)
        {
            assertFalse(sources.onFailure(a, i * MS));
        }
        assertFalse(sources.isBlocked(a, 1_000 * MS));
    }

    @Test
    void shouldTakeChecksInTurnsBySourceANewSourceFirst() throws Exception
    {
        final LoginSources sources = new LoginSources(0, MS, MS, 100, 100);
        final LoginSources.Source flood = sources.source(ip("10.0.0.1"));
        final LoginSources.Source other = sources.source(ip("10.0.0.2"));
        final LoginCheck[] floods = new LoginCheck[5];
        for (int i = 0; i < floods.length; i++)
        {
            floods[i] = check(flood);
            assertNull(sources.enqueue(floods[i]));
        }
        assertSame(floods[0], sources.next());
        final LoginCheck first = check(other);
        final LoginCheck second = check(other);
        assertNull(sources.enqueue(first));
        assertNull(sources.enqueue(second));
        assertSame(first, sources.next(), "a source with nothing waiting goes first");
        assertSame(floods[1], sources.next());
        assertSame(second, sources.next());
        assertSame(floods[2], sources.next());
        assertSame(floods[3], sources.next());
        assertTrue(sources.remove(floods[4]));
        assertFalse(sources.remove(floods[4]));
        assertNull(sources.next());
        assertEquals(0, sources.pending());
    }

    @Test
    void shouldShedTheNewestOfTheSourceHoldingTheMostPastTheBound() throws Exception
    {
        final LoginSources sources = new LoginSources(0, MS, MS, 100, 3);
        final LoginSources.Source flood = sources.source(ip("10.0.0.1"));
        final LoginSources.Source other = sources.source(ip("10.0.0.2"));
        final LoginCheck f0 = check(flood);
        final LoginCheck f1 = check(flood);
        final LoginCheck f2 = check(flood);
        assertNull(sources.enqueue(f0));
        assertNull(sources.enqueue(f1));
        assertNull(sources.enqueue(f2));
        final LoginCheck f3 = check(flood);
        assertSame(f3, sources.enqueue(f3), "its own source holds the most: the newcomer is shed");
        final LoginCheck o0 = check(other);
        assertSame(f2, sources.enqueue(o0), "the flood's newest gives way");
        final LoginCheck o1 = check(other);
        assertSame(o1, sources.enqueue(o1), "not once the flood would hold fewer than the other");
        assertEquals(3, sources.pending());
        assertSame(o0, sources.next(), "the other source came with nothing waiting: its turn is first");
        assertSame(f0, sources.next());
        assertSame(f1, sources.next());
    }

    @Test
    void shouldRememberAtMostMaxSourcesEvictingTheLeastRecentlySeenWithNothingWaiting() throws Exception
    {
        final LoginSources sources = new LoginSources(3, 1_000 * MS, 5_000 * MS, 3, 10);
        final LoginSources.Source waiting = sources.source(ip("10.0.0.1"));
        assertNull(sources.enqueue(check(waiting)));
        final LoginSources.Source blocked = sources.source(ip("10.0.0.2"));
        for (int i = 0; i < 3; i++)
        {
            sources.onFailure(blocked, MS);
        }
        sources.source(ip("10.0.0.3"));
        for (int i = 4; i < 1_000; i++)
        {
            sources.source(ip("10.0.0.2")); // seen again and again: stays
            sources.source(ip("10.0." + (i >> 8) + "." + (i & 0xFF)));
            assertTrue(sources.size() <= 3, "size " + sources.size());
        }
        assertSame(waiting, sources.source(ip("10.0.0.1")), "a source with a waiting check is never evicted");
        assertSame(blocked, sources.source(ip("10.0.0.2")));
        assertTrue(sources.isBlocked(blocked, 2 * MS));
    }

    @Test
    void shouldCountAnIpv6SourceByItsSlash64() throws Exception
    {
        final InetAddress one = LoginSources.sourceOf(new InetSocketAddress(ip("2001:db8:1:2:aaaa::1"), 1));
        final InetAddress two = LoginSources.sourceOf(new InetSocketAddress(ip("2001:db8:1:2:bbbb::2"), 2));
        final InetAddress other = LoginSources.sourceOf(new InetSocketAddress(ip("2001:db8:1:3::1"), 3));
        assertEquals(one, two);
        assertFalse(one.equals(other));
        assertEquals(ip("10.1.2.3"), LoginSources.sourceOf(new InetSocketAddress(ip("10.1.2.3"), 4)));
    }
}
