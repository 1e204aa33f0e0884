/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Framing (README, rules 1, 7 and 9): lines end with {@code \n}, one {@code \r} before it is dropped, text is bytes,
 * lines have a maximum length, and the broker sends nothing of its own accord.
 */
class BrokerFramingTest extends BrokerTestSupport
{
    private static final int SMALL_MAX_LINE_BYTES = 1024;

    @BeforeEach
    void start() throws Exception
    {
        startBroker();
    }

    // ---- rule 1: line endings -------------------------------------------------------------------------------------

    @Test
    @Timeout(30)
    void shouldAcceptCrLfLineEndingsForNameAndMessages() throws Exception
    {
        final LineClient bob = register("bob");
        final LineClient alice = connect().name("alice");

        alice.sendRaw(utf8("alice\r\nbob: hi there\r\nalice: self\r\n"));

        bob.expectLine("from alice: hi there");
        alice.expectLine("from alice: self");
        assertNextLineIsProbe(alice, bob); // registered as "alice", not "alice\r"
    }

    @ParameterizedTest(name = "[{index}] {2}")
    @MethodSource("carriageReturnsInText")
    @Timeout(30)
    void shouldDropOnlyTheCarriageReturnBeforeTheNewline(final String sent, final String delivered,
        final String description) throws Exception
    {
        final LineClient alice = register("alice");
        final LineClient bob = register("bob");

        alice.sendRaw(utf8(sent));

        alice.expectLine("error: control character in line");
        bob.expectLineBytes(utf8(delivered));
    }

    static Stream<Arguments> carriageReturnsInText()
    {
        return Stream.of(
            // The second '\r' is text, and a control character: the line is refused (BrokerForgeryTest), so the
            // sender hears why and the next line shows that only one '\r' was dropped.
            Arguments.of("bob: hi\r\r\nbob: next\r\n", "from alice: next", "two before the newline: one is dropped"),
            Arguments.of("bob: one\rtwo\nbob: next\n", "from alice: next", "inside the text: refused"));
    }

    @Test
    @Timeout(30)
    void shouldReassembleLinesSentOneByteAtATime() throws Exception
    {
        final LineClient bob = register("bob");
        final LineClient alice = connect().name("alice");

        alice.sendByteByByte(utf8("alice\r\nbob: split \u00e9 across writes\r\nbob: second\n"));

        bob.expectLine("from alice: split \u00e9 across writes");
        bob.expectLine("from alice: second");
    }

    @Test
    @Timeout(30)
    void shouldSplitManyLinesArrivingInOneWrite() throws Exception
    {
        final LineClient alice = register("alice");
        final LineClient bob = register("bob");
        final StringBuilder batch = new StringBuilder();
        for (int i = 0; i < 500; i++)
        {
            batch.append("bob: line ").append(i).append(i % 2 == 0 ? "\n" : "\r\n");
        }

        alice.sendRaw(utf8(batch.toString()));

        for (int i = 0; i < 500; i++)
        {
            bob.expectLine("from alice: line " + i);
        }
        assertNextLineIsProbe(bob, alice);
    }

    // ---- rule 1: text is bytes ------------------------------------------------------------------------------------

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("texts")
    @Timeout(30)
    void shouldPassTextBytesThroughUnchanged(final byte[] text, final String description) throws Exception
    {
        final LineClient alice = register("alice");
        final LineClient bob = register("bob");

        alice.sendRaw(concat(utf8("bob: "), text, utf8("\n")));

        bob.expectLineBytes(concat(utf8("from alice: "), text));
    }

    static Stream<Arguments> texts()
    {
        final ByteArrayOutputStream highBytes = new ByteArrayOutputStream();
        highBytes.write('<');
        for (int b = 0x80; b <= 0xFF; b++)
        {
            highBytes.write(b);
        }
        highBytes.write('>');

        final ByteArrayOutputStream asciiBytes = new ByteArrayOutputStream();
        asciiBytes.write('<');
        for (int b = 0x00; b < 0x80; b++)
        {
            if ((b >= 0x20 && b != 0x7F) || b == '\t')
            {
                asciiBytes.write(b); // includes '\t', ',' and ':', all inside the text
            }
        }
        asciiBytes.write('>');

        return Stream.of(
            Arguments.of(utf8("h\u00e9llo w\u00f6rld \u2014 \u4f60\u597d \ud83d\ude80 \u00a0nbsp\u00a0 " +
                "\u0645\u0631\u062d\u0628\u0627"), "UTF-8 text"),
            Arguments.of(highBytes.toByteArray(), "every high byte, even when not UTF-8"),
            Arguments.of(asciiBytes.toByteArray(), "tab, separators and every printable byte"));
        // The other control bytes (NUL, '\r', ESC, DEL, ...) are refused: BrokerForgeryTest.
    }

    // ---- rule 7: maximum line length ------------------------------------------------------------------------------

    /** With {@code \r\n}: the carriage return before the newline does not count against the maximum. */
    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("lineEndings")
    @Timeout(30)
    void shouldAcceptLineOfExactlyMaxLineBytes(final String lineEnding, final String description) throws Exception
    {
        startBroker(new BrokerConfig().maxLineBytes(SMALL_MAX_LINE_BYTES));
        final LineClient alice = register("alice");
        final LineClient bob = register("bob");
        final String text = textForLineOf("bob: ", SMALL_MAX_LINE_BYTES);

        alice.sendRaw(utf8("bob: " + text + lineEnding));

        bob.expectLine("from alice: " + text);
        assertNextLineIsProbe(alice, bob); // alice is still connected and got no error
    }

    @Test
    @Timeout(30)
    void shouldMeasureLineLengthInBytesNotCharacters() throws Exception
    {
        startBroker(new BrokerConfig().maxLineBytes(SMALL_MAX_LINE_BYTES));
        final LineClient alice = register("alice");
        final LineClient bob = register("bob");
        // "bob: " (5) + 509 x 2-byte 'é' + "x" = 1024 bytes but only 515 characters.
        final String fits = "\u00e9".repeat(509) + "x";
        final String tooLong = "\u00e9".repeat(510);
        assertEquals(SMALL_MAX_LINE_BYTES, utf8("bob: " + fits).length);

        alice.send("bob: " + fits);
        bob.expectLine("from alice: " + fits);

        alice.send("bob: " + tooLong);
        alice.expectLine("error: line too long (max " + SMALL_MAX_LINE_BYTES + " bytes)");
        alice.awaitClosed();
    }

    /** Even with {@code \r\n}: the carriage return does not make a line one byte over the maximum fit. */
    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("lineEndings")
    @Timeout(30)
    void shouldRejectLineOneByteOverTheMaximumAndClose(final String lineEnding, final String description)
        throws Exception
    {
        startBroker(new BrokerConfig().maxLineBytes(SMALL_MAX_LINE_BYTES));
        final LineClient alice = register("alice");
        final LineClient bob = register("bob");
        final LineClient carol = register("carol");
        final String text = textForLineOf("bob: ", SMALL_MAX_LINE_BYTES + 1);

        alice.sendRaw(utf8("bob: before" + lineEnding + "bob: " + text + lineEnding));

        bob.expectLine("from alice: before"); // lines before the long one are still routed
        alice.expectLine("error: line too long (max " + SMALL_MAX_LINE_BYTES + " bytes)");
        final List<String> rest = alice.awaitClosed();
        assertEquals(List.of(), rest, "nothing after the error");
        assertNextLineIsProbe(bob, carol); // the long line was not delivered, not even in part
    }

    @Test
    @Timeout(30)
    void shouldRejectOverlongLineBeforeItsNewlineArrives() throws Exception
    {
        startBroker(new BrokerConfig().maxLineBytes(SMALL_MAX_LINE_BYTES));
        final LineClient alice = register("alice");

        // No '\n' will ever come: the broker must not wait for one, nor buffer without bound.
        alice.sendRaw(utf8("alice: " + "x".repeat(3 * SMALL_MAX_LINE_BYTES)));

        alice.expectLine("error: line too long (max " + SMALL_MAX_LINE_BYTES + " bytes)");
        alice.awaitClosed();
    }

    @Test
    @Timeout(30)
    void shouldRejectOverlongFirstLineAndClose() throws Exception
    {
        startBroker(new BrokerConfig().maxLineBytes(SMALL_MAX_LINE_BYTES));
        final LineClient client = connect();

        client.send("n".repeat(SMALL_MAX_LINE_BYTES + 1));

        // Both "line too long" and "invalid name" apply; either error is acceptable.
        final String error = client.readLine();
        assertTrue(error.startsWith("error: "), error);
        client.awaitClosed();
    }

    @Test
    @Timeout(30)
    void shouldEnforceTheDefaultMaximumOf64KiB() throws Exception
    {
        final int defaultMax = 65536;
        final LineClient alice = register("alice");
        final LineClient bob = register("bob");
        final LineClient carol = register("carol");
        final String fits = textForLineOf("bob: ", defaultMax);
        final String tooLong = textForLineOf("bob: ", defaultMax + 1);

        alice.send("bob: " + fits);
        bob.expectLine("from alice: " + fits);

        carol.send("bob: " + tooLong);
        carol.expectLine("error: line too long (max " + defaultMax + " bytes)");
        carol.awaitClosed();
        assertNextLineIsProbe(bob, alice);
    }

    // ---- rule 9: the broker sends nothing else --------------------------------------------------------------------

    @Test
    @Timeout(30)
    void shouldSendNoGreetingOrPromptAroundRegistration() throws Exception
    {
        final LineClient alice = connect().name("alice");
        alice.send("alice");
        alice.send("alice: first");

        // No greeting on connect, no acknowledgement of the name: the first line is the client's own message.
        alice.expectLine("from alice: first");
    }

    @Test
    @Timeout(30)
    void shouldSendNothingToSenderForSuccessfulDelivery() throws Exception
    {
        final LineClient alice = register("alice");
        final LineClient bob = register("bob");

        alice.send("bob: one");
        alice.send("bob, carol: two");
        bob.expectLine("from alice: one");
        bob.expectLine("from alice: two");
        alice.expectLine("error: no peer 'carol'"); // the only reply a sender gets is an error

        assertNextLineIsProbe(alice, alice); // no acknowledgement, no prompt
    }

    static Stream<Arguments> lineEndings()
    {
        return Stream.of(Arguments.of("\n", "LF"), Arguments.of("\r\n", "CRLF"));
    }

    /** @return text of plain letters that makes {@code prefix + text} exactly {@code lineBytes} bytes long. */
    private static String textForLineOf(final String prefix, final int lineBytes)
    {
        final StringBuilder sb = new StringBuilder(lineBytes);
        for (int i = 0; sb.length() < lineBytes - prefix.length(); i++)
        {
            sb.append((char)('a' + i % 26));
        }
        return sb.toString();
    }
}
