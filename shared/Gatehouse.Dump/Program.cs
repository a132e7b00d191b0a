// Placeholder entry point; the dump tool is built in the channel work.
return 0;
