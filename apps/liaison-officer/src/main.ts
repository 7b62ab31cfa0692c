import 'reflect-metadata';
import { runNodeApp } from '#node-app';
import { ReceiptHandler } from './read-receipts/receipt.handler.js';

/** A European migration liaison officer's post abroad; MSX_NODE_ID names it (emlo-ne, ilo-it-ly, …). */
runNodeApp({ handler: ReceiptHandler });
