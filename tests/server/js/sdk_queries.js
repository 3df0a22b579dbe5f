// Parse JS SDK queries against `querylang serve`; prints one JSON document of answers.
// Usage: node sdk_queries.js SERVER_URL APP_ID MASTER_KEY
const Parse = require('parse/node');

const [serverURL, appId, masterKey] = process.argv.slice(2);
Parse.initialize(appId, undefined, masterKey);
Parse.serverURL = serverURL;
// The sample's class is named User: stop the SDK from rewriting it to Parse's _User.
Parse.User.allowCustomUserClass(true);

const ids = (objects) => objects.map((o) => o.id);

async function main() {
  const out = {};
  const Post = Parse.Object.extend('Post');
  let q;

  q = new Parse.Query('Post');
  q.equalTo('score', 13).ascending('objectId');
  out.equalTo = ids(await q.find());

  q = new Parse.Query('Comment');
  q.equalTo('Owner', Post.createWithoutData('p015')).descending('createdAt');
  out.pointerEqualTo = ids(await q.find());

  q = new Parse.Query('Post');
  q.containedIn('tags', ['ui', 'db']).ascending('objectId').limit(1000);
  out.containedIn = ids(await q.find());

  q = new Parse.Query('Comment');
  q.greaterThan('likes', 20).descending('likes').addAscending('objectId').limit(1000);
  out.greaterThan = ids(await q.find());

  const inner = new Parse.Query('Post');
  inner.greaterThanOrEqualTo('score', 12);
  q = new Parse.Query('Comment');
  q.matchesQuery('Owner', inner).ascending('objectId').limit(1000);
  out.matchesQuery = ids(await q.find());

  const group = await new Parse.Query('Group').get('g2');
  q = group.relation('posts').query();
  q.ascending('objectId');
  out.relation = ids(await q.find());

  // A relation of an unfetched object: the SDK does not know its target class, so it asks
  // Group for it with redirectClassNameForKey.
  q = Parse.Object.extend('Group').createWithoutData('g2').relation('posts').query();
  q.ascending('objectId');
  const unfetched = await q.find();
  out.relationRedirected = { ids: ids(unfetched), classNames: [...new Set(unfetched.map((o) => o.className))] };

  q = new Parse.Query('Group');
  q.equalTo('posts', Post.createWithoutData('p020')).ascending('objectId');
  out.relationHolds = ids(await q.find());

  q = new Parse.Query('Comment');
  q.include('Owner').equalTo('objectId', 'c001');
  const c = await q.first();
  out.include = { owner: c.get('Owner').id, title: c.get('Owner').get('title'), fetched: c.get('Owner').isDataAvailable() };

  q = new Parse.Query('Comment');
  q.equalTo('flagged', true);
  out.count = await q.count();

  q = new Parse.Query('Comment');
  q.ascending('createdAt').addAscending('objectId').skip(10).limit(5);
  out.page = ids(await q.find());

  q = new Parse.Query('Comment');
  q.equalTo('flagged', true).limit(3).withCount();
  const counted = await q.find();
  out.withCount = { ids: ids(counted.results), count: counted.count };

  try {
    await new Parse.Query('Post').equalTo('scroe', 3).find();
    out.error = null;
  } catch (e) {
    out.error = { code: e.code, message: e.message };
  }

  try {
    await new Parse.Query('Post').get('nope');
    out.notFound = null;
  } catch (e) {
    out.notFound = { code: e.code, message: e.message };
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
