/**
 * IAM for the functions' calls: {@code FunctionRoles} reads the role of each runnable function and the policies
 * attached to it from the stack (refusing what it cannot evaluate, such as conditions), {@code IamAuthorizer} decides
 * a control-plane call signed with a function's credentials and words AWS's AccessDenied message, and
 * {@code CallerIdentities} is the small interface through which it learns whose credentials an access key id is (the
 * Lambda runner implements it). A room of its own because IAM is a service of its own: the IoT control plane only
 * asks it, and the same evaluation holds the synthesized stack's grants in FunctionGrantsTest.
 */
package dev.iotonboard.local.iam;
