/**
 * DynamoDB, locally: dynalite (npm, MIT licence, DynamoDB's API in memory or on LevelDB) started and stopped with the
 * tool ({@link dev.iotonboard.local.dynamodb.Dynalite}), the template's tables created in it
 * ({@link dev.iotonboard.local.dynamodb.DynamoDb}), and DynamoDB's JSON protocol served on the control-plane port with
 * IAM in front ({@link dev.iotonboard.local.dynamodb.DynamoDbApi}).
 */
package dev.iotonboard.local.dynamodb;
