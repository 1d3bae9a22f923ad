// Runs the generated Apps Script under Node with fake FormApp, Utilities and UrlFetchApp
// objects built from the emulator's view of a form and a response (argv: script, view JSON).
// Prints the request that UrlFetchApp.fetch received, as JSON.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const vm = require('vm');

const script = fs.readFileSync(process.argv[2], 'utf8');
const view = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const fetched = [];

function fakeItem(item) {
  const rows = { getRows: () => item.rows.slice() };
  return {
    getId: () => item.id,
    getType: () => item.type,
    getTitle: () => item.title,
    asGridItem: () => { if (item.type !== 'GRID') throw new Error('not a grid'); return rows; },
    asCheckboxGridItem: () => {
      if (item.type !== 'CHECKBOX_GRID') throw new Error('not a checkbox grid');
      return rows;
    },
  };
}

const items = view.form.items.map(fakeItem);
const byId = new Map(items.map((item) => [item.getId(), item]));
const response = {
  getId: () => view.response.id,
  getTimestamp: () => new Date(view.response.timestamp),
  getRespondentEmail: () => view.response.respondent_email,
  getItemResponses: () => view.response.item_responses.map((entry) => ({
    getItem: () => byId.get(entry.item_id),
    getResponse: () => entry.response,
  })),
};
const form = {
  getId: () => view.form.id,
  getTitle: () => view.form.title,
  getItems: () => items,
  getResponses: () => [response],
};

const context = {
  FormApp: { getActiveForm: () => form },
  Utilities: {
    Charset: { UTF_8: 'UTF_8' },
    // Apps Script returns Java bytes: signed, from -128 to 127.
    computeHmacSha256Signature: (value, key, charset) => {
      if (charset !== 'UTF_8') throw new Error('expected the UTF-8 charset');
      const digest = crypto.createHmac('sha256', Buffer.from(key, 'utf8'))
        .update(Buffer.from(value, 'utf8')).digest();
      return Array.from(digest, (byte) => (byte > 127 ? byte - 256 : byte));
    },
    sleep: () => {},
  },
  UrlFetchApp: {
    fetch: (url, options) => {
      fetched.push({ url, options });
      return { getResponseCode: () => 200, getContentText: () => '{"status": "accepted"}' };
    },
  },
};
vm.createContext(context);
vm.runInContext(script, context, { filename: 'apps_script.js' });
vm.runInContext('arrimageOnFormSubmit', context)({ source: form, response });
process.stdout.write(JSON.stringify(fetched));
