/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

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
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Routing (README, rules 4, 5 and 6): {@code dest1, dest2: text} is split at the first {@code :}, every connected
 * destination gets {@code from <sender>: <text>}, unknown ones produce {@code error: no peer '<name>'}, and malformed
 * lines produce an error without closing the connection.
 */
class BrokerRoutingTest extends BrokerTestSupport
{
    private static final String EXPECTED_FORMAT = "error: expected 'name[, name...]: text'";

    private LineClient alice;
    private LineClient bob;
    private LineClient carol;

    @BeforeEach
    void startWithThreePeers() throws Exception
    {
        startBroker();
        alice = register("alice");
        bob = register("bob");
        carol = register("carol");
    }

    // ---- rule 4 ---------------------------------------------------------------------------------------------------

    @Test
    @Timeout(30)
    void shouldDeliverToASinglePeer() throws Exception
    {
        alice.send("bob: hello");

        bob.expectLine("from alice: hello");
        assertNextLineIsProbe(alice, carol); // the sender gets no acknowledgement
        assertNextLineIsProbe(carol, alice); // nobody else gets a copy
    }

    @Test
    @Timeout(30)
    void shouldDeliverToEveryListedPeer() throws Exception
    {
        alice.send("bob,carol: to both");

        bob.expectLine("from alice: to both");
        carol.expectLine("from alice: to both");
        assertNextLineIsProbe(alice, alice);
    }

    @ParameterizedTest(name = "[{index}] {2}")
    @MethodSource("textsAfterTheColon")
    @Timeout(30)
    void shouldDeliverTheTextAfterTheFirstColonTrimmed(final String line, final String delivered,
        final String description) throws Exception
    {
        alice.send(line);

        bob.expectLine(delivered);
    }

    static Stream<Arguments> textsAfterTheColon()
    {
        return Stream.of(
            Arguments.of("bob: time: 12:30 : ok:", "from alice: time: 12:30 : ok:", "split at the first colon only"),
            Arguments.of("bob: \t  inner  spaces\tand tabs \t ", "from alice: inner  spaces\tand tabs",
                "spaces and tabs trimmed around the text, inner ones kept"),
            Arguments.of("bob:tight", "from alice: tight", "text without a leading space as is"));
    }

    @Test
    @Timeout(30)
    void shouldKeepCommasInTheText() throws Exception
    {
        alice.send("bob: carol, dave, and eve");

        bob.expectLine("from alice: carol, dave, and eve");
        assertNextLineIsProbe(carol, alice);
        assertNextLineIsProbe(alice, alice); // no "no peer 'dave'" error either
    }

    @Test
    @Timeout(30)
    void shouldTrimSpacesAndTabsAroundDestinations() throws Exception
    {
        alice.send("  bob ,\tcarol\t ,alice   : spaced");

        bob.expectLine("from alice: spaced");
        carol.expectLine("from alice: spaced");
        alice.expectLine("from alice: spaced");
        assertNextLineIsProbe(alice, alice);
    }

    @Test
    @Timeout(30)
    void shouldSkipEmptyDestinations() throws Exception
    {
        alice.send(",bob,, \t ,carol,: skipped empties");

        bob.expectLine("from alice: skipped empties");
        carol.expectLine("from alice: skipped empties");
        assertNextLineIsProbe(bob, carol);      // once each, not once per comma
        assertNextLineIsProbe(alice, alice);    // and no error for the empty ones
    }

    @Test
    @Timeout(30)
    void shouldDeliverOnceToADestinationListedTwice() throws Exception
    {
        alice.send("bob, carol, bob: listed twice");

        bob.expectLine("from alice: listed twice");
        carol.expectLine("from alice: listed twice");
        assertNextLineIsProbe(bob, carol); // not a second time
        assertNextLineIsProbe(carol, bob);

        alice.send("bob, bob, nobody, nobody: again"); // an unknown name: an error each time it is listed
        bob.expectLine("from alice: again");
        alice.expectLine("error: no peer 'nobody'");
        alice.expectLine("error: no peer 'nobody'");
        assertNextLineIsProbe(bob, carol);
        assertNextLineIsProbe(alice, carol);
    }

    @Test
    @Timeout(30)
    void shouldDeliverToTheSenderWhenItListsItself() throws Exception
    {
        alice.send("alice: note to self");
        alice.expectLine("from alice: note to self");

        alice.send("alice, bob, alice: and to bob");
        bob.expectLine("from alice: and to bob");
        alice.expectLine("from alice: and to bob");
        assertNextLineIsProbe(alice, bob); // once, though listed twice
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = { "bob:", "bob: ", "bob:  \t \t", "bob,carol:" })
    @Timeout(30)
    void shouldDeliverEmptyText(final String line) throws Exception
    {
        alice.send(line);

        // "from <sender>: <text>" with empty text keeps the space after the colon.
        bob.expectLine("from alice: ");
        assertNextLineIsProbe(alice, alice); // an empty text is not an error
    }

    @Test
    @Timeout(30)
    void shouldPreserveTheOrderOfOneSendersLines() throws Exception
    {
        final StringBuilder batch = new StringBuilder();
        for (int i = 0; i < 200; i++)
        {
            batch.append(i % 2 == 0 ? "bob" : "bob, carol").append(": m").append(i).append('\n');
        }

        alice.sendRaw(utf8(batch.toString()));

        for (int i = 0; i < 200; i++)
        {
            bob.expectLine("from alice: m" + i);
            if (i % 2 == 1)
            {
                carol.expectLine("from alice: m" + i);
            }
        }
    }

    // ---- rule 5 ---------------------------------------------------------------------------------------------------

    @Test
    @Timeout(30)
    void shouldReportADestinationThatIsNotConnected() throws Exception
    {
        alice.send("dave: anyone?");

        alice.expectLine("error: no peer 'dave'");
        assertNextLineIsProbe(alice, alice); // exactly one error, and still connected
    }

    @Test
    @Timeout(30)
    void shouldDeliverToKnownDestinationsAndReportEachUnknownOne() throws Exception
    {
        alice.send("x, bob , y,carol, zo\u00eb : mixed");

        bob.expectLine("from alice: mixed");
        carol.expectLine("from alice: mixed");
        assertSameLinesInAnyOrder(
            List.of("error: no peer 'x'", "error: no peer 'y'", "error: no peer 'zo\u00eb'"), readLines(alice, 3));
        assertNextLineIsProbe(alice, alice); // one error per unknown destination, no more
        assertNextLineIsProbe(bob, carol);   // one copy per known destination
        assertNextLineIsProbe(carol, bob);
    }

    @Test
    @Timeout(30)
    void shouldReportTheTrimmedNameOfAnUnknownDestination() throws Exception
    {
        alice.send(" \tdave smith\t : hi");

        alice.expectLine("error: no peer 'dave smith'");
    }

    @Test
    @Timeout(30)
    void shouldReportAPeerThatHasDisconnected() throws Exception
    {
        carol.close();

        // The broker may take a moment to notice; until then the line may go to carol's discarded queue.
        awaitNoPeer(alice, "carol");
        alice.send("bob, carol: after carol left");
        bob.expectLine("from alice: after carol left");
        alice.expectLine("error: no peer 'carol'");
    }

    // ---- rule 6 ---------------------------------------------------------------------------------------------------

    @Test
    @Timeout(30)
    void shouldReportALineWithoutColonAndStayOpen() throws Exception
    {
        alice.send("bob hello");

        alice.expectLine(EXPECTED_FORMAT);
        assertNextLineIsProbe(bob, alice);   // nothing was delivered
        alice.send("bob: still connected");
        bob.expectLine("from alice: still connected");
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = { ": hi", " , : hi", ",: hi", " \t: hi", ",,,:", ":" })
    @Timeout(30)
    void shouldReportALineWithNoDestinationAndStayOpen(final String line) throws Exception
    {
        alice.send(line);

        alice.expectLine(EXPECTED_FORMAT);
        assertNextLineIsProbe(alice, bob);
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("blankLines")
    @Timeout(30)
    void shouldIgnoreBlankLines(final String lines, final String description) throws Exception
    {
        alice.sendRaw(utf8(lines));

        assertNextLineIsProbe(alice, alice); // no error, no echo
        assertNextLineIsProbe(bob, alice);
    }

    static Stream<Arguments> blankLines()
    {
        return Stream.of(
            Arguments.of("\n\r\n\n", "empty lines"),
            Arguments.of("   \n\t\n \t \r\n", "lines of only spaces and tabs"));
    }

    @Test
    @Timeout(30)
    void shouldKeepRoutingAfterEveryKindOfBadLine() throws Exception
    {
        alice.sendRaw(utf8("no colon\n\n: no dest\nnobody: hi\n  \nbob: good\n"));

        bob.expectLine("from alice: good");
        alice.expectLine(EXPECTED_FORMAT);
        alice.expectLine(EXPECTED_FORMAT);
        alice.expectLine("error: no peer 'nobody'");
        assertNextLineIsProbe(alice, alice);
    }

    /**
     * Polls until the broker reports {@code name} as not connected. Each round sends a line to {@code name} and then a
     * self-probe: the broker handles a connection's lines in order, so an error for the first comes before the probe.
     */
    private static void awaitNoPeer(final LineClient asker, final String name) throws Exception
    {
        final long deadlineNs = System.nanoTime() + LineClient.DEFAULT_TIMEOUT.toNanos();
        while (true)
        {
            final String probe = nextProbe();
            asker.send(name + ": are you there");
            asker.send(asker.name() + ": " + probe);
            final String first = asker.readLine();
            if (first.equals("error: no peer '" + name + "'"))
            {
                asker.expectLine("from " + asker.name() + ": " + probe);
                return;
            }
            assertEquals("from " + asker.name() + ": " + probe, first, "while waiting for '" + name + "' to go");
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("peer '" + name + "' still connected " + LineClient.DEFAULT_TIMEOUT + " after it closed");
            }
        }
    }
}
