/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Names (README, rules 2 and 3): the first line is the name, trimmed; it must be valid and not held by a connected
 * peer; a connection only ever sends under the name it holds.
 */
class BrokerNamingTest extends BrokerTestSupport
{
    private static final int RECONNECTS = 200;

    @BeforeEach
    void start() throws Exception
    {
        startBroker();
    }

    // ---- rule 2: valid names --------------------------------------------------------------------------------------

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = {
        "a",
        "alice",
        "Mary Ann",                    // inner spaces are not trimmed and are not control characters
        "o'brien.j-x_y+z@host/path",   // punctuation other than ',' and ':'
        "zo\u00eb",                    // UTF-8 non-ASCII bytes are allowed
        "\u540d\u524d",
        "\ud83d\ude80rocket",
        "0123456789012345678901234567890123456789012345678901234567890123", // exactly 64 bytes
        "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9" +
            "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9", // 32 x 2 = 64 bytes
    })
    @Timeout(30)
    void shouldAcceptValidNameAndRouteBothWays(final String name) throws Exception
    {
        assertTrue(utf8(name).length <= 64);
        final LineClient peer = register(name);
        final LineClient other = register("other");

        other.send(name + ": to you");
        peer.expectLine("from other: to you");

        peer.send("other: from you");
        other.expectLine("from " + name + ": from you");
    }

    @Test
    @Timeout(30)
    void shouldTrimSpacesAndTabsAroundTheName() throws Exception
    {
        final LineClient padded = registerAs(utf8(" \t padded name\t \t"), "padded name", 0);
        final LineClient other = register("other");

        other.send("padded name: hi");
        padded.expectLine("from other: hi");
        padded.send("other: hello");
        other.expectLine("from padded name: hello");
    }

    @Test
    @Timeout(30)
    void shouldMeasureNameLengthAfterTrimming() throws Exception
    {
        final String name = "n".repeat(64);

        registerAs(utf8("  " + name + "\t\t"), name, 0); // 68 bytes before trimming, 64 after
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("invalidNames")
    @Timeout(30)
    void shouldRejectInvalidNameAndClose(final byte[] firstLine, final String description) throws Exception
    {
        final LineClient client = connect();

        client.sendRaw(concat(firstLine, utf8("\n")));

        final String error = client.readLine();
        assertTrue(error.startsWith("error: "), () -> description + ": expected an error line but got " + error);
        assertTrue(error.length() > "error: ".length(), () -> description + ": error without a reason: " + error);
        assertEquals(List.of(), client.awaitClosed(), description + ": nothing after the error");
    }

    static Stream<Arguments> invalidNames()
    {
        return Stream.of(
            Arguments.of(utf8(""), "empty first line"),
            Arguments.of(utf8("\r"), "empty first line with CRLF"),
            Arguments.of(utf8("   "), "only spaces"),
            Arguments.of(utf8(" \t \t"), "only spaces and tabs"),
            Arguments.of(utf8("a,b"), "comma"),
            Arguments.of(utf8(","), "only a comma"),
            Arguments.of(utf8("a:b"), "colon"),
            Arguments.of(utf8("alice: hi"), "a message line instead of a name"),
            Arguments.of(utf8(":"), "only a colon"),
            Arguments.of(new byte[]{ 'a', 0x00, 'b' }, "NUL"),
            Arguments.of(new byte[]{ 'a', 0x01, 'b' }, "SOH"),
            Arguments.of(new byte[]{ 'a', 0x1B, 'b' }, "ESC"),
            Arguments.of(new byte[]{ 'a', '\t', 'b' }, "inner tab"),
            Arguments.of(new byte[]{ 'a', '\r', 'b' }, "inner carriage return"),
            Arguments.of(new byte[]{ 'a', 0x7F, 'b' }, "DEL"),
            Arguments.of(utf8("n".repeat(65)), "65 bytes"),
            Arguments.of(utf8("\u00e9".repeat(33)), "33 two-byte characters = 66 bytes"),
            Arguments.of(utf8("\u00e9".repeat(32) + "x"), "32 two-byte characters + 1 = 65 bytes"));
    }

    @Test
    @Timeout(30)
    void shouldHonourTheMaxNameBytesSetting() throws Exception
    {
        startBroker(new BrokerConfig().maxNameBytes(8));
        register("eight888");

        final LineClient nine = connect();
        nine.send("nine99999");
        assertTrue(nine.readLine().startsWith("error: "));
        nine.awaitClosed();
    }

    @Test
    @Timeout(30)
    void shouldNotRegisterARejectedName() throws Exception
    {
        final String tooLong = "n".repeat(65);
        final LineClient bad = connect();
        bad.send(tooLong);
        assertTrue(bad.readLine().startsWith("error: "));
        bad.awaitClosed();

        final LineClient bob = register("bob");
        bob.send(tooLong + ", " + tooLong.substring(1) + ": hi");
        // Not registered, nor registered truncated to fit.
        assertSameLinesInAnyOrder(List.of("error: no peer '" + tooLong + "'",
            "error: no peer '" + tooLong.substring(1) + "'"), readLines(bob, 2));
    }

    // ---- rule 3: a name is held by one connection -----------------------------------------------------------------

    /** Taken names are compared after trimming: a padded {@code alice} is {@code alice}. */
    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = { "alice", " \talice\t " })
    @Timeout(30)
    void shouldRejectTakenNameAndLeaveTheHolderWorking(final String impostorsName) throws Exception
    {
        final LineClient alice = register("alice");
        final LineClient bob = register("bob");

        final LineClient impostor = connect();
        impostor.send(impostorsName);
        impostor.expectLine("error: name 'alice' is taken");
        assertEquals(List.of(), impostor.awaitClosed());

        assertNextLineIsProbe(alice, alice); // the holder received nothing from the attempt
        bob.send("alice: still yours");
        alice.expectLine("from bob: still yours");
        alice.send("bob: still mine");
        bob.expectLine("from alice: still mine");
    }

    @Test
    @Timeout(30)
    void shouldNeverSendUnderANameTheConnectionDoesNotHold() throws Exception
    {
        final LineClient alice = register("alice");
        final LineClient bob = register("bob");
        final LineClient carol = register("carol");

        // The impostor's message arrives in the same segment as its rejected name.
        final LineClient impostor = connect();
        impostor.sendRaw(utf8("alice\nbob: forged\ncarol: forged\n"));
        impostor.expectLine("error: name 'alice' is taken");
        impostor.awaitClosed();

        assertNextLineIsProbe(bob, carol);
        assertNextLineIsProbe(carol, bob);
        assertNextLineIsProbe(alice, bob);
    }

    @Test
    @Timeout(30)
    void shouldMatchNamesCaseSensitively() throws Exception
    {
        final LineClient lower = register("alice");
        final LineClient upper = register("Alice");
        final LineClient bob = register("bob");

        bob.send("Alice: for upper");
        upper.expectLine("from bob: for upper");
        bob.send("alice: for lower");
        lower.expectLine("from bob: for lower");
        bob.send("ALICE: for nobody");
        bob.expectLine("error: no peer 'ALICE'");

        assertNextLineIsProbe(lower, bob);
        assertNextLineIsProbe(upper, bob);
    }

    @Test
    @Timeout(30)
    void shouldRefuseANameThatDiffersFromAnotherOnlyInItsUnicodeForm() throws Exception
    {
        final LineClient composed = register("zo\u00eb");        // U+00EB
        final LineClient bob = register("bob");

        // 'e' + combining diaeresis: the same name to a reader, different bytes. It used to be a second peer 'zoë'.
        final LineClient decomposed = connect();
        decomposed.send("zoe\u0308");
        decomposed.expectLine("error: invalid name: not in Unicode normalization form NFC");
        assertEquals(List.of(), decomposed.awaitClosed());

        bob.send("zoe\u0308: decomposed");
        bob.expectLine("error: no peer 'zoe\u0308'");
        assertNextLineIsProbe(composed, bob);
    }

    // ---- rules 3 and 8: the same name coming and going -------------------------------------------------------------

    @Test
    @Timeout(90)
    void shouldLetTheSameNameReconnectManyTimesInARow() throws Exception
    {
        final LineClient anchor = register("anchor");

        for (int i = 0; i < RECONNECTS; i++)
        {
            final LineClient phoenix = registerRetrying("phoenix", Duration.ofSeconds(10));

            anchor.send("phoenix: hello " + i);
            phoenix.expectLine("from anchor: hello " + i);
            phoenix.send("anchor: back " + i);
            anchor.expectLine("from phoenix: back " + i);

            switch (i % 3)
            {
                case 0 -> phoenix.close();                                      // orderly close
                case 1 -> phoenix.abort();                                      // connection fails (RST)
                default ->
                {
                    phoenix.shutdownOutput();                                   // half-close, then wait for the broker
                    assertEquals(List.of(), phoenix.awaitClosed());
                    phoenix.close();
                }
            }
        }

        assertNextLineIsProbe(anchor, anchor);
    }
}
