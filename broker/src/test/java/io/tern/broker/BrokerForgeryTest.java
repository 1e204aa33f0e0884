/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.tern.transport.Protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No forged senders (README, rules 2 and 4; docs/security.md, "Names and text that cannot mislead"): a line whose text
 * holds a control character is refused whole, so no text shows as a line from someone else on a terminal; a name that
 * looks like another (an invisible character, a lookalike letter from another script) is refused; and the log prints
 * names escaped, so two peers never log alike.
 */
class BrokerForgeryTest extends BrokerTestSupport
{
    private static final String CONTROL_IN_LINE = "error: control character in line";

    // Strong reference: java.util.logging keeps loggers weakly.
    private static final Logger ROUTER_LOG = Logger.getLogger(Router.class.getName());
    private final List<String> logged = new CopyOnWriteArrayList<>();
    private Level levelBefore;
    private final Handler capture = new Handler()
    {
        @Override
        public void publish(final LogRecord record)
        {
            logged.add(record.getMessage());
        }

        @Override
        public void flush()
        {
        }

        @Override
        public void close()
        {
        }
    };

    @BeforeEach
    void start() throws Exception
    {
        // INFO, whatever an earlier test in this JVM set (the benchmarks' support turns the router's INFO off).
        levelBefore = ROUTER_LOG.getLevel();
        ROUTER_LOG.setLevel(Level.INFO);
        ROUTER_LOG.addHandler(capture);
        startBroker();
    }

    @AfterEach
    void stopCapturing()
    {
        ROUTER_LOG.removeHandler(capture);
        ROUTER_LOG.setLevel(levelBefore);
    }

    // ---- text that would show as another line ---------------------------------------------------------------------

    /** The attack as reported: on an {@code nc} terminal the line showed as a line from alice. */
    @Test
    @Timeout(30)
    void shouldRefuseALoneCarriageReturnThatForgesALineFromSomeoneElse() throws Exception
    {
        final LineClient alice = register("alice");
        final LineClient bob = register("bob");
        final LineClient mallory = register("mallory");

        mallory.send("bob: \rfrom alice: please send the key to mallory");

        mallory.expectLine(CONTROL_IN_LINE);
        assertNextLineIsProbe(bob, alice); // bob got nothing of it
        assertNextLineIsProbe(mallory, mallory); // mallory is still connected
        assertEquals(1.0, new AdminClient(broker.adminAddress()).metrics()
            .get("tern_errors_sent_total{kind=\"control_in_line\"}"));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("controlCharacters")
    @Timeout(30)
    void shouldRefuseEveryLineWithAControlCharacterAndDeliverNothing(final String line, final String description)
        throws Exception
    {
        final LineClient bob = register("bob");
        final LineClient mallory = register("mallory");

        mallory.send(line);

        mallory.expectLine(CONTROL_IN_LINE);
        assertNextLineIsProbe(bob, mallory);
        assertNextLineIsProbe(mallory, bob);
    }

    static Stream<Arguments> controlCharacters()
    {
        return Stream.of(
            Arguments.of("bob: hi\rfrom alice: hi", "a lone carriage return"),
            Arguments.of("bob: hi\r\r", "a carriage return before the one the line end drops"),
            Arguments.of("bob: \u001b[2K\u001b[1Gfrom alice: hi", "ESC: erase the line, cursor to column 1"),
            Arguments.of("bob: \u001b]0;title\u0007", "ESC and BEL: set the terminal's title"),
            Arguments.of("bob: hi\b\b\b\b\b\b\b\b\b\b\b\b\b\bfrom alice", "backspaces"),
            Arguments.of("bob: \u009b2K", "the C1 control CSI, as UTF-8"),
            Arguments.of("bob: \u0085from alice: hi", "the C1 control NEL, as UTF-8"),
            Arguments.of("bob: a\u000bb\u000cc", "vertical tab and form feed"),
            Arguments.of("bob: nul\u0000", "NUL"),
            Arguments.of("bob: del\u007f", "DEL"),
            Arguments.of("bob\r: hi", "in the destination list"),
            Arguments.of("\u001b[2J", "in a line without ':'"));
    }

    @Test
    @Timeout(30)
    void shouldStillDeliverTabsNonAsciiTextAndBytesThatAreNotUtf8() throws Exception
    {
        final LineClient alice = register("alice");
        final LineClient bob = register("bob");

        alice.send("bob: a\tb \u00e9\u00a0\u4f60\u202e \ud83d\ude80");
        bob.expectLine("from alice: a\tb \u00e9\u00a0\u4f60\u202e \ud83d\ude80");
        alice.sendRaw(concat(utf8("bob: "), new byte[]{ (byte)0xFF, (byte)0x9B, (byte)0xC2 }, utf8("\r\n")));
        bob.expectLineBytes(concat(utf8("from alice: "), new byte[]{ (byte)0xFF, (byte)0x9B, (byte)0xC2 }));
        assertNextLineIsProbe(alice, bob); // no error
    }

    // ---- names that look like others ------------------------------------------------------------------------------

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("lookalikes")
    @Timeout(30)
    void shouldRefuseANameThatLooksLikeAnother(final byte[] name, final String description, final String reason)
        throws Exception
    {
        final LineClient alice = register("alice");
        final LineClient bob = register("bob");

        final LineClient impostor = connect();
        impostor.sendRaw(concat(name, utf8("\n")));

        impostor.expectLine("error: invalid name: " + reason);
        assertEquals(List.of(), impostor.awaitClosed());
        assertNextLineIsProbe(alice, bob); // alice is unaffected, and nobody registered under a name like hers
        bob.sendRaw(concat(name, utf8(": for the impostor\n")));
        final String reply = bob.readLine();
        assertTrue(reply.startsWith("error: no peer '") || reply.equals(CONTROL_IN_LINE), reply);
    }

    static Stream<Arguments> lookalikes()
    {
        final String whitespace = "contains whitespace other than a plain space";
        final String invisible = "contains an invisible or bidi-control character";
        return Stream.of(
            Arguments.of(utf8("alice\u00a0"), "a trailing no-break space", whitespace),
            Arguments.of(utf8("\ufeffalice"), "a leading byte-order mark", invisible),
            Arguments.of(utf8("\u0430lice"), "a Cyrillic a", "mixes Latin letters with Cyrillic or Greek ones"),
            Arguments.of(utf8("\u202eecila"), "the right-to-left override", invisible),
            Arguments.of(utf8("al\u200bice"), "a zero-width space", invisible),
            Arguments.of(utf8("alice\u2028"), "the line separator", whitespace),
            Arguments.of(utf8("alic\u0065\u0301"), "a decomposed accent", "not in Unicode normalization form NFC"),
            Arguments.of(utf8("ali\u0085ce"), "a C1 control", "contains a control character"),
            Arguments.of(new byte[]{ 'a', 'l', 'i', 'c', 'e', (byte)0xFF }, "a byte that is not UTF-8",
                "not valid UTF-8"),
            Arguments.of(new byte[]{ 'a', 'l', 'i', 'c', (byte)0xC1, (byte)0xA5 }, "an overlong 'e'",
                "not valid UTF-8"));
    }

    @Test
    @Timeout(30)
    void shouldTakePrintableAsciiOnlyWithNameCharsetAscii() throws Exception
    {
        startBroker(new BrokerConfig().set(Settings.NAME_CHARSET, Protocol.NameCharset.ASCII));
        final LineClient alice = register("alice smith ~!#");

        final LineClient zoe = connect();
        zoe.send("zo\u00eb");
        zoe.expectLine("error: invalid name: not printable ASCII");
        assertEquals(List.of(), zoe.awaitClosed());
        assertNextLineIsProbe(alice, alice);
    }

    // ---- the log --------------------------------------------------------------------------------------------------

    @Test
    @Timeout(30)
    void shouldLogRefusedNamesEscapedSoThatNoTwoLogAlike() throws Exception
    {
        final byte[][] names = {
            { 'x', (byte)0xFF }, { 'x', (byte)0xFE }, utf8("x\u202e"), utf8("x\u00a0"),
            { 'x', (byte)0xC2, (byte)0x9B },
        };
        final String[] escaped = { "x\\xff", "x\\xfe", "x\\u{202E}", "x\\u{A0}", "x\\u{9B}" };
        for (final byte[] name : names)
        {
            final LineClient client = connect();
            client.sendRaw(concat(name, utf8("\n")));
            assertTrue(client.readLine().startsWith("error: invalid name: "));
            client.awaitClosed();
        }
        awaitCondition("a log line for each refused name", Duration.ofSeconds(10),
            () -> logged.stream().filter(line -> line.contains(" refused: invalid name '")).count() >= names.length);

        final List<String> refusals = logged.stream().filter(line -> line.contains(" refused: invalid name '"))
            .toList();
        for (int i = 0; i < names.length; i++)
        {
            final String expected = "refused: invalid name '" + escaped[i] + "': ";
            assertTrue(refusals.stream().anyMatch(line -> line.contains(expected)), expected + " in " + refusals);
        }
        // A valid name spelled like an escape logs differently from the name it spells.
        register("x\\xff");
        awaitCondition("the look-alike's connection logged", Duration.ofSeconds(10),
            () -> logged.stream().anyMatch(line -> line.startsWith("peer 'x\\\\xff' (connection #")));

        for (final String line : logged)
        {
            assertFalse(line.codePoints().anyMatch(c -> c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) ||
                c == 0xFFFD || c == 0x202E || c == 0xA0), "a raw control, invisible or replaced character: " + line);
        }
        for (int i = 0; i < escaped.length; i++)
        {
            for (int j = i + 1; j < escaped.length; j++)
            {
                assertNotEquals(escaped[i], escaped[j]);
            }
        }
    }

    @Test
    @Timeout(30)
    void shouldCutALongRefusedNameInTheLog() throws Exception
    {
        final LineClient client = connect();
        client.send("\u00a0" + "n".repeat(5_000));
        client.expectLine("error: invalid name: longer than 64 bytes");
        client.awaitClosed();
        final String expected = "refused: invalid name '\\u{A0}" + "n".repeat(62) + "...' (5002 bytes): " +
            "longer than 64 bytes";
        awaitCondition("the refusal logged", Duration.ofSeconds(10),
            () -> logged.stream().anyMatch(line -> line.endsWith(expected)));
    }

    @Test
    @Timeout(30)
    void shouldLogATakenNameEscaped() throws Exception
    {
        final String name = "zo\u00eb \\ \u65e5";
        register(name);
        final LineClient second = connect();
        second.send(name);
        second.expectLine("error: name '" + name + "' is taken");
        second.awaitClosed();
        awaitCondition("the refusal logged", Duration.ofSeconds(10),
            () -> logged.stream().anyMatch(line -> line.contains("refused: name 'zo\u00eb \\\\ \u65e5' is taken")));
    }
}
