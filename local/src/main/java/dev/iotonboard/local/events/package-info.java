/**
 * EventBridge schedules, locally ({@code Scheduler}): each enabled {@code rate(...)} rule of the stack invokes its
 * target functions asynchronously with a scheduled-event payload, at its rate or at {@code --schedule-interval}.
 */
package dev.iotonboard.local.events;
