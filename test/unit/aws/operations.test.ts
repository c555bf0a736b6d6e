/**
 * The read-only classification behind the dry-run guard, the sandbox's write log, `trimtab
 * permissions` and the IAM table: DynamoDB's Query and Scan are reads although their names are
 * a bare verb; other bare verbs stay writes (fail closed).
 */
import { describe, expect, it } from 'vitest';
import { isReadOnlyOperation } from '../../../lib/aws/operations.ts';

describe('isReadOnlyOperation', () => {
  it('counts DynamoDB Query and Scan as reads, and nothing else that is a bare verb', () => {
    // Act
    const answers = {
      query: isReadOnlyOperation('dynamodb', 'Query'),
      scan: isReadOnlyOperation('dynamodb', 'Scan'),
      batchGet: isReadOnlyOperation('dynamodb', 'BatchGetItem'),
      put: isReadOnlyOperation('dynamodb', 'PutItem'),
      transact: isReadOnlyOperation('dynamodb', 'TransactWriteItems'),
      otherQuery: isReadOnlyOperation('logs', 'Query'),
    };

    // Assess
    expect(answers).toEqual({ query: true, scan: true, batchGet: true, put: false, transact: false, otherQuery: false });
  });
});
