/**
 * The tool's own routes on the control-plane port, under {@code /_local/} ({@code AdminRoutes}): counters of the
 * control plane, the functions and the connect quota; faults listed, added and cleared; quotas read and changed.
 * It reads the other rooms through their public counters and the quotas and faults it is given.
 */
package dev.iotonboard.local.admin;
