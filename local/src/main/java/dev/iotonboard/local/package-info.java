/**
 * The local IoT Core's entry: {@code LocalIotCore} (main, the wiring of the rooms, start and stop), its command line
 * ({@code Options}), and what every room shares: the event log ({@code EventLog}) and daemon threads
 * ({@code Threads}). Each subpackage is one room, named after the AWS service it stands in for or the concern it
 * owns; local/README.md opens with their map.
 */
package dev.iotonboard.local;
