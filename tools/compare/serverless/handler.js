// serverless-offline runs Node.js (and Python, Ruby, Go, Java) handlers on the host; a Rust
// bootstrap only inside Docker, which this machine lacks. These two stand in for the workspace's
// `hello` and examples/lambda-authorizer, answering as they do, so every tool gets the same cases.
'use strict';

// hello's answer: who the authorizer says the caller is, else 401 (as hello's own check). Every
// answer carries ALLOWED_ORIGIN, as hello's do: compare.py tells the function's answers by it.
exports.hello = async (event) => {
  const authorizer = (event.requestContext || {}).authorizer || {};
  const claims = (authorizer.jwt || {}).claims || authorizer.claims;
  const context = authorizer.lambda || authorizer;
  const who = claims
    ? claims['cognito:username'] || claims.username || claims.sub
    : context.username || context.principalId;
  const headers = { 'content-type': 'application/json', 'access-control-allow-origin': process.env.ALLOWED_ORIGIN };
  if (!who) return { statusCode: 401, headers, body: JSON.stringify({ message: 'Unauthorized' }) };
  return { statusCode: 200, headers, body: JSON.stringify({ message: `Hello, ${who}!`, username: who }) };
};

// examples/lambda-authorizer's rule: `allow-<name>` is the user <name>, `deny` is refused,
// anything else is Unauthorized (the error API Gateway turns into a 401).
exports.authorizer = async (event) => {
  const token = (event.authorizationToken || '').replace(/^Bearer /, '').trim();
  const [api, stage] = (event.methodArn || '').split('/');
  const policy = (effect) => ({
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: `${api}/${stage}/*` }],
  });
  if (token === 'deny') return { principalId: 'denied', policyDocument: policy('Deny') };
  const user = token.startsWith('allow-') ? token.slice('allow-'.length) : '';
  if (!user) throw new Error('Unauthorized');
  return {
    principalId: user,
    policyDocument: policy('Allow'),
    context: { sub: `user-${user}`, username: user, groups: 'readers' },
  };
};
